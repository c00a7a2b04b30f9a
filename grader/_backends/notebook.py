"""The notebook runner: a submitted lesson notebook executed in a grading container.

During ``nbgrader autograde`` the course's ``SandboxedExecute`` step (``grader._nbgrader``) hands
each notebook to :func:`run_notebook`. The container is the Docker backend's (``create_container``):
no network, the limits, the assignment folder read-only at /submission; inside it
``grader._sandbox.notebook`` runs nbclient as the trusted process and the kernel as the learner.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from docker import DockerClient

from .._errors import GraderError
from .._manifest import Limits
from .._paths import PACKAGE_DIR
from ._common import GRACE_S, LEARNER_GID, LEARNER_UID
from .docker import PRIVATE, bind, create_container, docker_client, results_dir, run_container

NOTEBOOK_LIMIT = 200 * 1024 * 1024  # bytes of executed notebook read back from the container


def run_notebook(
    notebook: str,
    *,
    folder: Path,
    settings: dict[str, Any],
    limits: Limits,
    kernel_env: dict[str, str],
    extra_volumes: dict[str, str],
    client: DockerClient | None = None,
    image: str | None = None,
) -> tuple[str | None, str]:
    """Execute a submitted notebook in a grading container (``grader._sandbox.notebook``).

    ``notebook`` is nbformat JSON, ``folder`` the assignment folder it runs in (mounted read-only;
    the kernel works on a copy), ``settings`` nbgrader's Execute options, ``extra_volumes`` host
    paths to mount read-only for the kernel (container path -> host path). Returns the executed
    notebook's JSON (None if the container left none) and a problem ("" if none: its deadline, its
    memory). Raises InfrastructureError when Docker or the image is not there or Docker broke the
    run off, GraderError when the sandbox itself failed.
    """
    from .._image import ensure_image
    from .._sandbox.notebook import ENV_VAR, NotebookConfig

    client = client or docker_client()
    image = image or ensure_image(client=client)
    with tempfile.TemporaryDirectory(prefix="grader-notebook-") as root:
        results = results_dir(root)
        (results / "notebook.ipynb").write_text(notebook, encoding="utf-8")
        cfg = NotebookConfig(
            notebook=f"{PRIVATE}/results/notebook.ipynb",
            output=f"{PRIVATE}/results/executed.ipynb",
            private_dir=f"{PRIVATE}/results",
            source_dir="/submission",
            work_dir="/tmp/work",
            home_dir="/tmp/home",
            learner_uid=LEARNER_UID,
            learner_gid=LEARNER_GID,
            kernel_env=kernel_env,
            deadline_s=limits.timeout_s,
            **settings,
        )
        container = create_container(
            client,
            image,
            label="notebook",
            limits=limits,
            command=["python", "-m", "grader._sandbox.notebook"],
            environment={ENV_VAR: cfg.to_json(), "PYTHONPATH": PRIVATE},
            mounts=[
                bind(folder, "/submission"),
                bind(PACKAGE_DIR, f"{PRIVATE}/grader"),
                bind(results, f"{PRIVATE}/results", read_only=False),
                *(bind(Path(host), inside) for inside, host in extra_volumes.items()),
            ],
        )
        problem, log = run_container(container, wait_s=limits.timeout_s + GRACE_S, memory_mb=limits.memory_mb)
        output = results / "executed.ipynb"
        if output.is_file() and output.stat().st_size > NOTEBOOK_LIMIT:
            return None, f"the executed notebook is over {NOTEBOOK_LIMIT // 2**20} MB"
        if output.is_file():
            return output.read_text(encoding="utf-8"), problem
        if problem:
            return None, problem
        last = (log.strip().splitlines() or ["no output"])[-1]
        raise GraderError(f"the notebook sandbox ended without a notebook: {last}")

"""The Docker backend: one disposable, locked-down container per grading run.

The container gets the submission read-only at /submission, the grader's code and the lab's
hidden suite read-only under /opt/grader (a root-only 0700 directory the learner's user cannot
even enter), and a results directory there too. No network, a read-only root filesystem with
a small tmpfs at /tmp, memory/CPU/pids limits and a wall-clock timeout from the manifest, all
capabilities dropped but the three needed to start processes as other users and kill them,
no-new-privileges. The container is removed afterwards, whatever happened (Ctrl-C included).

``run_notebook`` runs a submitted lesson notebook for ``nbgrader autograde`` in the same kind of
container (``grader._sandbox.notebook``): the assignment folder read-only, the kernel as the learner.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import docker
import requests

from .._errors import GraderError
from .._manifest import Limits, Manifest
from .._paths import PACKAGE_DIR
from .._sandbox.config import ENV_VAR
from .._scoring import SandboxRun
from ._common import DOCKER_FAILED, GRACE_S, pytest_log, read_records, sandbox_config, tail

LABEL = "duckshop.grader"  # value: the lab id
PID_LABEL = "duckshop.grader.pid"  # the grader process that created the container
LEARNER_UID = LEARNER_GID = 10001  # the image's `learner` user
PRIVATE = "/opt/grader"
NOTEBOOK_LIMIT = 200 * 1024 * 1024  # bytes of executed notebook read back from run_notebook


def docker_client(*, required: bool = True):
    """A client whose daemon answers, or None (``required=False``), or a one-line GraderError."""
    try:
        client = docker.from_env(timeout=30)
        client.ping()
        return client
    except (docker.errors.DockerException, requests.RequestException) as exc:
        if required:
            raise GraderError(f"Docker is not available ({type(exc).__name__}); start it, or use --backend local") from None
        return None


class DockerBackend:
    name = "docker"
    isolated = True

    def __init__(self, client=None, image: str | None = None):
        self._client, self._image = client, image

    def run(self, manifest: Manifest, submission: Path) -> SandboxRun:
        from .._image import ensure_image

        client = self._client or docker_client()
        image = self._image or ensure_image(client=client)
        with tempfile.TemporaryDirectory(prefix="grader-docker-") as root:
            results = _results_dir(root)
            cfg = sandbox_config(
                manifest, suite_dir=f"{PRIVATE}/lab", submission_dir="/submission",
                private_dir=f"{PRIVATE}/results", scratch_dir="/tmp",
                learner_uid=LEARNER_UID, learner_gid=LEARNER_GID,
            )
            container = self._create(client, image, manifest, submission, results, cfg.to_json())
            problem, log = _run(container, wait_s=cfg.deadline_s + GRACE_S, memory_mb=manifest.limits.memory_mb)
            return SandboxRun(records=read_records(results / "records.jsonl"),
                              log=tail(pytest_log(results) + log), problem=problem)

    def _create(self, client, image: str, manifest: Manifest, submission: Path, results: Path, config: str):
        return _create(
            client, image, label=manifest.id, limits=manifest.limits,
            command=["python", "-m", "grader._sandbox.supervise"],
            environment={ENV_VAR: config, "PYTHONPATH": PRIVATE},
            volumes={
                str(submission): {"bind": "/submission", "mode": "ro"},
                str(PACKAGE_DIR): {"bind": f"{PRIVATE}/grader", "mode": "ro"},
                str(manifest.suite_dir): {"bind": f"{PRIVATE}/lab", "mode": "ro"},
                str(results): {"bind": f"{PRIVATE}/results", "mode": "rw"},
            },
        )


def run_notebook(notebook: str, *, folder: Path, settings: dict, limits: Limits, kernel_env: dict[str, str],
                 extra_volumes: dict[str, str], client=None, image: str | None = None) -> tuple[str | None, str]:
    """Execute a submitted notebook in a grading container (``grader._sandbox.notebook``).

    ``notebook`` is nbformat JSON, ``folder`` the assignment folder it runs in (mounted read-only;
    the kernel works on a copy), ``settings`` nbgrader's Execute options, ``extra_volumes`` host
    paths to mount read-only for the kernel (container path -> host path). Returns the executed
    notebook's JSON (None if the container left none) and a problem ("" if none: a deadline,
    memory, Docker breaking off). Raises GraderError when Docker or the image is not there, or
    the sandbox itself failed.
    """
    from .._image import ensure_image
    from .._sandbox.notebook import ENV_VAR as NOTEBOOK_ENV_VAR, NotebookConfig

    client = client or docker_client()
    image = image or ensure_image(client=client)
    with tempfile.TemporaryDirectory(prefix="grader-notebook-") as root:
        results = _results_dir(root)
        (results / "notebook.ipynb").write_text(notebook, encoding="utf-8")
        cfg = NotebookConfig(
            notebook=f"{PRIVATE}/results/notebook.ipynb", output=f"{PRIVATE}/results/executed.ipynb",
            private_dir=f"{PRIVATE}/results", source_dir="/submission", work_dir="/tmp/work",
            home_dir="/tmp/home", learner_uid=LEARNER_UID, learner_gid=LEARNER_GID,
            kernel_env=kernel_env, deadline_s=limits.timeout_s, **settings,
        )
        container = _create(
            client, image, label="notebook", limits=limits,
            command=["python", "-m", "grader._sandbox.notebook"],
            environment={NOTEBOOK_ENV_VAR: cfg.to_json(), "PYTHONPATH": PRIVATE},
            volumes={
                str(folder): {"bind": "/submission", "mode": "ro"},
                str(PACKAGE_DIR): {"bind": f"{PRIVATE}/grader", "mode": "ro"},
                str(results): {"bind": f"{PRIVATE}/results", "mode": "rw"},
                **{host: {"bind": inside, "mode": "ro"} for inside, host in extra_volumes.items()},
            },
        )
        problem, log = _run(container, wait_s=limits.timeout_s + GRACE_S, memory_mb=limits.memory_mb)
        output = results / "executed.ipynb"
        if output.is_file() and output.stat().st_size > NOTEBOOK_LIMIT:
            return None, f"the executed notebook is over {NOTEBOOK_LIMIT // 2**20} MB"
        if output.is_file():
            return output.read_text(encoding="utf-8"), problem
        if problem:
            return None, problem
        last = (log.strip().splitlines() or ["no output"])[-1]
        raise GraderError(f"the notebook sandbox ended without a notebook: {last}")


def _results_dir(root: str) -> Path:
    results = Path(root, "results")
    results.mkdir()
    results.chmod(0o777)  # container root has no DAC override; /opt/grader (0700) guards it inside
    return results


def _create(client, image: str, *, label: str, limits: Limits, command: list[str], environment: dict[str, str],
            volumes: dict):
    """A locked-down container: no network, read-only root, the limits, three capabilities, tini."""
    try:
        return client.containers.create(
            image,
            command=command,
            environment=environment,
            user="0:0",
            init=True,  # tini as PID 1 reaps orphaned learner processes, so zombies hold no pids
            working_dir="/tmp",
            volumes=volumes,
            network_mode="none",
            read_only=True,
            tmpfs={"/tmp": f"size={limits.scratch_mb}m,mode=1777"},
            mem_limit=f"{limits.memory_mb}m",
            memswap_limit=f"{limits.memory_mb}m",
            nano_cpus=int(limits.cpus * 1e9),
            pids_limit=limits.pids,
            cap_drop=["ALL"],
            cap_add=["SETUID", "SETGID", "KILL"],
            security_opt=["no-new-privileges"],
            log_config=docker.types.LogConfig(type="json-file", config={"max-size": "1m"}),
            labels={LABEL: label, PID_LABEL: str(os.getpid())},
        )
    except docker.errors.ImageNotFound:
        raise GraderError(f"the grading image {image} is missing; build it with: make image") from None
    except docker.errors.APIError as exc:
        raise GraderError(f"Docker could not create the grading container: {exc.explanation or exc}") from None


def _run(container, *, wait_s: float, memory_mb: int) -> tuple[str, str]:
    """Start the container, wait at most ``wait_s``, and remove it whatever happened: (problem, log)."""
    problem, log = "", ""
    try:
        container.start()
        try:
            container.wait(timeout=wait_s)
        except requests.RequestException:
            problem = f"the run did not finish within {wait_s:g} s and was stopped"
            container.kill()
        container.reload()
        if container.attrs["State"].get("OOMKilled"):
            problem = f"the sandbox ran out of memory ({memory_mb} MB)"
        log = tail(container.logs(stdout=True, stderr=True, tail=200))
    except docker.errors.DockerException as exc:
        problem = f"{DOCKER_FAILED}: {exc}"
    finally:
        _remove(container)
    return problem, log


def _remove(container) -> None:
    """Force-remove, waiting out a daemon that is still busy with the container (409)."""
    for _ in range(60):
        try:
            container.remove(force=True)
            return
        except docker.errors.NotFound:
            return
        except docker.errors.APIError as exc:
            if exc.status_code != 409:
                raise
            time.sleep(1)


def remove_leftovers(client=None, *, pid: int | None = None) -> int:
    """Remove containers an interrupted grader left behind (``grader clean``): every grader's, or
    only those process ``pid`` created (other graders may share the daemon)."""
    client = client or docker_client()
    label = LABEL if pid is None else f"{PID_LABEL}={pid}"
    leftovers = client.containers.list(all=True, filters={"label": label})
    for container in leftovers:
        _remove(container)
    return len(leftovers)

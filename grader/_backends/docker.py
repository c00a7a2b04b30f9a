"""The Docker backend: one disposable, locked-down container per grading run.

The container gets the submission read-only at /submission, the grader's code and the lab's
hidden suite read-only under /opt/grader (a root-only 0700 directory the learner's user cannot
even enter), and a results directory there too. No network, a read-only root filesystem with
a small tmpfs at /tmp, memory/CPU/pids limits and a wall-clock timeout from the manifest, all
capabilities dropped but the three needed to start processes as other users and kill them,
no-new-privileges. The container is removed afterwards, whatever happened (Ctrl-C included).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import docker
import requests

from .._errors import GraderError
from .._manifest import Manifest
from .._paths import PACKAGE_DIR
from .._sandbox.config import ENV_VAR
from .._scoring import SandboxRun
from ._common import DOCKER_FAILED, GRACE_S, pytest_log, read_records, sandbox_config, tail

LABEL = "duckshop.grader"  # value: the lab id
PID_LABEL = "duckshop.grader.pid"  # the grader process that created the container
LEARNER_UID = LEARNER_GID = 10001  # the image's `learner` user
PRIVATE = "/opt/grader"


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
            results = Path(root, "results")
            results.mkdir()
            results.chmod(0o777)  # container root has no DAC override; /opt/grader (0700) guards it inside
            cfg = sandbox_config(
                manifest, suite_dir=f"{PRIVATE}/lab", submission_dir="/submission",
                private_dir=f"{PRIVATE}/results", scratch_dir="/tmp",
                learner_uid=LEARNER_UID, learner_gid=LEARNER_GID,
            )
            container = self._create(client, image, manifest, submission, results, cfg.to_json())
            problem, log = "", ""
            try:
                container.start()
                try:
                    container.wait(timeout=cfg.deadline_s + GRACE_S)
                except requests.RequestException:
                    problem = f"the run did not finish within {cfg.deadline_s + GRACE_S:g} s and was stopped"
                    container.kill()
                container.reload()
                if container.attrs["State"].get("OOMKilled"):
                    problem = f"the sandbox ran out of memory ({manifest.limits.memory_mb} MB)"
                log = tail(container.logs(stdout=True, stderr=True, tail=200))
            except docker.errors.DockerException as exc:
                problem = f"{DOCKER_FAILED}: {exc}"
            finally:
                _remove(container)
            return SandboxRun(records=read_records(results / "records.jsonl"),
                              log=tail(pytest_log(results) + log), problem=problem)

    def _create(self, client, image: str, manifest: Manifest, submission: Path, results: Path, config: str):
        limits = manifest.limits
        try:
            return client.containers.create(
                image,
                command=["python", "-m", "grader._sandbox.supervise"],
                environment={ENV_VAR: config, "PYTHONPATH": PRIVATE},
                user="0:0",
                init=True,  # tini as PID 1 reaps orphaned learner processes, so zombies hold no pids
                working_dir="/tmp",
                volumes={
                    str(submission): {"bind": "/submission", "mode": "ro"},
                    str(PACKAGE_DIR): {"bind": f"{PRIVATE}/grader", "mode": "ro"},
                    str(manifest.suite_dir): {"bind": f"{PRIVATE}/lab", "mode": "ro"},
                    str(results): {"bind": f"{PRIVATE}/results", "mode": "rw"},
                },
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
                labels={LABEL: manifest.id, PID_LABEL: str(os.getpid())},
            )
        except docker.errors.ImageNotFound:
            raise GraderError(f"the grading image {image} is missing; build it with: make image") from None
        except docker.errors.APIError as exc:
            raise GraderError(f"Docker could not create the grading container: {exc.explanation or exc}") from None


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

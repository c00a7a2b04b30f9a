"""The Docker backend: one disposable, locked-down container per grading run.

The container gets the submission read-only at /submission, the grader's code and the lab's
hidden suite read-only under /opt/grader (a root-only 0700 directory the learner's user cannot
even enter), and a results directory there too. No network, a read-only root filesystem with
a small tmpfs at /tmp, memory/CPU/pids limits and a wall-clock timeout from the manifest, all
capabilities dropped but the three needed to start processes as other users and kill them,
no-new-privileges. The container is removed afterwards, whatever happened (Ctrl-C included).

``grader._backends.notebook`` runs lesson notebooks in the same kind of container, with the helpers
here (``create_container``, ``run_container``).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Literal, overload

import docker
import requests
from docker import DockerClient
from docker.models.containers import Container

from .._errors import InfrastructureError
from .._manifest import Limits, Manifest
from .._paths import PACKAGE_DIR
from .._progress import RecordCallback, follow_records
from .._results import BackendName
from .._sandbox.config import ENV_VAR
from .._scoring import SandboxRun
from ._common import GRACE_S, LEARNER_GID, LEARNER_UID, pytest_log, read_records, sandbox_config, tail

LABEL = "duckshop.grader"  # value: the lab id
PID_LABEL = "duckshop.grader.pid"  # the grader process that created the container
OWNER_LABEL = "duckshop.grader.owner"  # boot id, pid and start time of that process (``owner``)
PRIVATE = "/opt/grader"


@overload
def docker_client(*, required: Literal[True] = True) -> DockerClient: ...
@overload
def docker_client(*, required: bool) -> DockerClient | None: ...
def docker_client(*, required: bool = True) -> DockerClient | None:
    """A client whose daemon answers, or None (``required=False``), or a one-line InfrastructureError."""
    try:
        client = docker.from_env(timeout=30)
        # requests reads proxy variables from os.environ on every call; gradings run in threads
        # while others change it (pytest's PYTEST_CURRENT_TEST): the iteration then fails with a
        # KeyError. The Engine's socket is reached directly, never through a web proxy.
        client.api.trust_env = False
        client.ping()
        return client
    except (docker.errors.DockerException, requests.RequestException) as exc:
        if required:
            raise InfrastructureError(
                f"Docker is not available ({type(exc).__name__}); start it, or use --backend local"
            ) from None
        return None


class DockerBackend:
    name = BackendName.DOCKER
    isolated = True

    def __init__(self, client: DockerClient | None = None, image: str | None = None):
        self._client, self._image = client, image

    def run(self, manifest: Manifest, submission: Path, *, on_record: RecordCallback | None = None) -> SandboxRun:
        from .._image import ensure_image

        client = self._client or docker_client()
        image = self._image or ensure_image(client=client)
        with tempfile.TemporaryDirectory(prefix="grader-docker-") as root:
            results = results_dir(root)
            cfg = sandbox_config(
                manifest,
                suite_dir=f"{PRIVATE}/lab",
                submission_dir="/submission",
                private_dir=f"{PRIVATE}/results",
                scratch_dir="/tmp",
                learner_uid=LEARNER_UID,
                learner_gid=LEARNER_GID,
            )
            container = self._create(client, image, manifest, submission, results, cfg.to_json())
            with follow_records(results / "records.jsonl", on_record):
                problem, log = run_container(
                    container, wait_s=cfg.deadline_s + GRACE_S, memory_mb=manifest.limits.memory_mb
                )
            return SandboxRun(
                records=read_records(results / "records.jsonl"), log=tail(pytest_log(results) + log), problem=problem
            )

    def _create(
        self, client: DockerClient, image: str, manifest: Manifest, submission: Path, results: Path, config: str
    ) -> Container:
        return create_container(
            client,
            image,
            label=manifest.id,
            limits=manifest.limits,
            command=["python", "-m", "grader._sandbox.supervise"],
            environment={ENV_VAR: config, "PYTHONPATH": PRIVATE},
            mounts=[
                bind(submission, "/submission"),
                bind(PACKAGE_DIR, f"{PRIVATE}/grader"),
                bind(manifest.suite_dir, f"{PRIVATE}/lab"),
                bind(results, f"{PRIVATE}/results", read_only=False),
            ],
        )


def results_dir(root: str) -> Path:
    results = Path(root, "results")
    results.mkdir()
    results.chmod(0o777)  # container root has no DAC override; /opt/grader (0700) guards it inside
    return results


def bind(source: Path, target: str, *, read_only: bool = True) -> docker.types.Mount:
    """A bind mount as a structured mount: a host path with colons or commas stays one path."""
    return docker.types.Mount(target=target, source=str(source), type="bind", read_only=read_only)


def owner() -> str:
    """Who created a container: this machine's boot, this process and its start time, so that
    ``grader clean`` can tell a live grader's container from a leftover (a reused pid is not alive)."""
    return f"{_boot_id()}:{os.getpid()}:{_start_time(os.getpid())}"


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "unknown"


def _start_time(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[19]
    except (OSError, IndexError):
        return ""


def _owned_by_a_live_grader(labels: dict[str, str]) -> bool:
    boot, _, rest = labels.get(OWNER_LABEL, "").partition(":")
    pid, _, started = rest.partition(":")
    if not pid.isdigit():
        return False  # made before owners were recorded: a leftover
    if boot != _boot_id():
        return True  # another machine's grader, through a shared daemon: not ours to judge
    return bool(started) and _start_time(int(pid)) == started


def create_container(
    client: DockerClient,
    image: str,
    *,
    label: str,
    limits: Limits,
    command: list[str],
    environment: dict[str, str],
    mounts: list[docker.types.Mount],
) -> Container:
    """A locked-down container: no network, read-only root, the limits, three capabilities, tini."""
    try:
        return client.containers.create(
            image,
            command=command,
            environment=environment,
            user="0:0",
            init=True,  # tini as PID 1 reaps orphaned learner processes, so zombies hold no pids
            working_dir="/tmp",
            mounts=mounts,
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
            labels={LABEL: label, PID_LABEL: str(os.getpid()), OWNER_LABEL: owner()},
        )
    except docker.errors.ImageNotFound:
        raise InfrastructureError(f"the grading image {image} is missing; build it with: make image") from None
    except docker.errors.APIError as exc:
        raise InfrastructureError(f"Docker could not create the grading container: {exc.explanation or exc}") from None


def run_container(container: Container, *, wait_s: float, memory_mb: int) -> tuple[str, str]:
    """Start the container, wait at most ``wait_s``, and remove it whatever happened: (problem, log).

    The problem ("" if none) is the run's own (its deadline, its memory); Docker failing meanwhile
    raises InfrastructureError instead."""
    problem, log = "", ""
    try:
        container.start()
        try:
            status = container.wait(timeout=wait_s).get("StatusCode", 0)
            if status:  # the supervisor always exits 0 after cleaning up: it was killed
                problem = f"the grading sandbox failed (exit status {status})"
        except requests.RequestException:
            problem = f"the run did not finish within {wait_s:g} s and was stopped"
            container.kill()
        container.reload()
        if container.attrs["State"].get("OOMKilled"):
            problem = f"the sandbox ran out of memory ({memory_mb} MB)"
        log = tail(container.logs(stdout=True, stderr=True, tail=200))
    except docker.errors.DockerException as exc:  # the daemon broke the run off: no grade comes of it
        raise InfrastructureError(f"Docker failed while grading: {exc}") from None
    finally:
        remove_container(container)
    return problem, log


def remove_container(container: Container) -> None:
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


def remove_leftovers(client: DockerClient | None = None, *, pid: int | None = None) -> int:
    """Remove the containers of graders that are gone (``grader clean``): a live grader's
    containers - another learner's ``make grade``, an instructor's batch - are left alone. With
    ``pid``, remove only that process's own (an interrupted batch stopping its runs)."""
    client = client or docker_client()
    label = LABEL if pid is None else f"{PID_LABEL}={pid}"
    leftovers = client.containers.list(all=True, filters={"label": label})
    if pid is None:
        leftovers = [c for c in leftovers if not _owned_by_a_live_grader(c.labels)]
    for container in leftovers:
        remove_container(container)
    return len(leftovers)

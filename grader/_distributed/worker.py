"""``grader worker``: a Celery worker that grades with this host's Docker engine, and
``grader workers``: who is live and what each grades (Celery's inspect API).

Before it takes a task the worker checks the broker answers, builds the grading image if this
host lacks it (once, not per task), removes the containers of graders that are gone, and makes
sure the broker's visibility timeout is above every lab's deadline. Each grading runs in a pool
process with the same sandbox and limits as a local ``grader grade``; its blobs are cached in
``blob_cache``. On shutdown (Ctrl-C, SIGTERM: Celery's warm shutdown lets running gradings
finish) it removes what its pool processes may have left.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .._errors import GraderError
from .._manifest import Manifest
from .._results import BackendName
from . import scratch, tasks
from .broker import DEFAULT_VISIBILITY_TIMEOUT_S, QUEUE, check_url, check_visibility, connect, make_app, redact


def default_blob_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "duckshop-grader" / "blobs"


def worker_name(name: str | None) -> str:
    """Celery's ``name@host``; two workers on one host need two names."""
    name = name or f"grader-{os.getpid()}"
    return name if "@" in name else f"{name}@{socket.gethostname()}"


def run_worker(
    *,
    broker: str,
    name: str | None = None,
    concurrency: int = 1,
    backend: str = "docker",
    visibility_timeout_s: float = DEFAULT_VISIBILITY_TIMEOUT_S,
    blob_cache: Path | None = None,
    suites_dir: Path | None = None,
    log: Callable[[str], object] = print,
) -> None:
    """Run a grading worker until it is stopped (Ctrl-C or SIGTERM)."""
    from celery import signals

    from .._api import labs
    from .._backends import resolve_backend
    from .._paths import SUITES_DIR

    check_url(broker)
    if concurrency < 1:
        raise GraderError(f"--concurrency must be at least 1, not {concurrency}")
    manifests = labs(suites_dir=suites_dir or SUITES_DIR)
    for manifest in manifests:
        check_visibility(visibility_timeout_s, manifest)
    connect(broker)
    chosen = resolve_backend(backend, log=log)  # builds the grading image here, once, if it is missing
    _warn_if_crowded(concurrency, manifests, chosen, log)
    hostname = worker_name(name)
    tasks.SETTINGS = tasks.WorkerSettings(
        url=broker,
        name=hostname,
        backend=chosen,
        blob_cache=blob_cache or default_blob_cache(),
        suites_dir=suites_dir,
    )
    app = make_app(broker, visibility_timeout_s=visibility_timeout_s)

    def cleanup(**_: object) -> None:
        if chosen == BackendName.DOCKER:
            tasks._remove_dead_graders_containers()
        scratch.remove_dead_folders()

    def pool_process_starts(**_: object) -> None:
        scratch.use_own_folder()

    cleanup()
    signals.worker_shutdown.connect(cleanup, weak=False)
    signals.worker_process_init.connect(pool_process_starts, weak=False)
    _quiet_success_log()
    log(f"grader worker {hostname}: {chosen} backend, {concurrency} at a time, broker {redact(broker)}")
    app.worker_main(
        [
            "worker",
            f"--hostname={hostname}",
            f"--concurrency={concurrency}",
            "--pool=prefork",
            f"--queues={QUEUE}",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
        ]
    )


def _quiet_success_log() -> None:
    """Celery logs each task's return value; a grading's is its results and the sandbox's log
    (kilobytes, hidden-suite quotes included): log the task and its time only."""
    import celery.app.trace

    celery.app.trace.LOG_SUCCESS = "Task %(name)s[%(id)s] succeeded in %(runtime)ss"


def _warn_if_crowded(concurrency: int, manifests: list[Manifest], backend: str, log: Callable[[str], object]) -> None:
    """A local batch grades no more side by side than the host's cores can give each its CPU
    quota; a worker grades what it is sent, so it says when its -c is above that."""
    from .._batch.run import _host_cores

    cores = _host_cores(backend)
    crowded = [m for m in manifests if concurrency * m.limits.cpus > cores]
    if crowded:
        log(
            f"warning: {concurrency} gradings at a time would share {cores:g} cores, more than"
            f" {', '.join(f'{m.id} ({m.limits.cpus:g} CPU)' for m in crowded)} can get: timing checks may fail;"
            " lower -c or add hosts"
        )


@dataclasses.dataclass(frozen=True)
class Grading:
    lab: str
    students: tuple[str, ...]
    seconds: float  # since it started


@dataclasses.dataclass(frozen=True)
class WorkerInfo:
    name: str
    grading: tuple[Grading, ...]
    graded: int  # final grades this worker made (since the broker started)
    fetched: int  # submissions it fetched from the broker (the others it had already)


def list_workers(*, broker: str, timeout_s: float = 2.0) -> list[WorkerInfo]:
    """The live workers on ``broker``, what each grades now, and what each has graded."""
    client = connect(broker, retries=2)
    app = make_app(broker)
    inspect = app.control.inspect(timeout=timeout_s)
    names = sorted((inspect.ping() or {}).keys())
    active: dict[str, list[dict[str, Any]]] = inspect.active() or {} if names else {}
    graded = _counts(client.hgetall(tasks.GRADED))
    fetched = _counts(client.hgetall(tasks.FETCHED))
    now = time.time()
    return [
        WorkerInfo(
            name=name,
            grading=tuple(_grading(task, now) for task in active.get(name, [])),
            graded=graded.get(name, 0),
            fetched=fetched.get(name, 0),
        )
        for name in names
    ]


def _counts(raw: dict[Any, Any]) -> dict[str, int]:
    return {(k.decode() if isinstance(k, bytes) else str(k)): int(v) for k, v in raw.items()}


def _grading(task: dict[str, Any], now: float) -> Grading:
    args = task.get("args") or [{}]
    payload = args[0] if isinstance(args, list | tuple) and args and isinstance(args[0], dict) else {}
    started = task.get("time_start") or now
    return Grading(
        lab=str(payload.get("lab", "?")),
        students=tuple(str(s) for s in payload.get("students", [])),
        seconds=max(0.0, now - float(started)),
    )

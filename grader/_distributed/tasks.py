"""The task a worker runs for one submission: check it grades as the coordinator would, fetch the
submission, grade it once per cache key, and answer the results as JSON.

A delivery can repeat (late acks, a requeue after a lost worker, a coordinator run again): the
first final grade of a cache key is stored under ``grader:done:<key>`` (SET NX) and every
delivery of that key - this one, a duplicate, a re-run's - answers that stored grade. Results
that are not final (an error, a run Docker broke off) are never stored: the next batch retries.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import redis

from .._batch.cache import grading_context
from .._batch.store import is_final
from .._errors import GraderError, InfrastructureError
from .._manifest import load_manifest
from .._results import BackendName, Results
from . import blobs, scratch
from .broker import PROTOCOL, RESULT_TTL_S, retrying

DONE = "grader:done:"  # + backend:cache key: the answer of the first final grading
GRADED = "grader:graded"  # hash: worker name -> gradings it ran to a final grade
FETCHED = "grader:fetched"  # hash: worker name -> blobs it had to fetch from the broker


def done_key(key: str, backend: str) -> str:
    """Where the grade of a cache key is stored: a grade without isolation is not a Docker one."""
    return f"{DONE}{backend}:{key}"


@dataclasses.dataclass(frozen=True)
class WorkerSettings:
    url: str
    name: str
    backend: str
    blob_cache: Path
    suites_dir: Path | None = None


SETTINGS: WorkerSettings | None = None  # set by ``grader worker`` before Celery forks its pool
_client: tuple[int, redis.Redis] | None = None


def payload(
    *, lab: str, key: str, blob: str, students: list[str], context: dict[str, object], backend: str
) -> dict[str, Any]:
    """The task for one distinct submission, as the coordinator sends it (JSON, never a pickle):
    ``students`` only for ``grader workers`` to show (at most 20)."""
    from .._image import image_version

    return {
        "protocol": PROTOCOL,
        "lab": lab,
        "key": key,
        "blob": blob,
        "students": students[:20],
        "context": context,
        "image": image_version(),
        "backend": backend,
    }


def _redis(url: str) -> redis.Redis:
    """One client per process (a forked pool process makes its own)."""
    global _client
    if _client is None or _client[0] != os.getpid():
        _client = (os.getpid(), redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=60))
    return _client[1]


def grade_task(payload: dict[str, Any]) -> dict[str, Any]:
    """The Celery task (``grader.grade``)."""
    if SETTINGS is None:
        raise RuntimeError("grader.grade runs in `grader worker` only")
    return handle(payload, SETTINGS, _redis(SETTINGS.url))


def _answer(key: str, results: Results, worker: str, graded: bool) -> dict[str, Any]:
    return {
        "protocol": PROTOCOL,
        "key": key,
        "results": results.to_dict(),
        "log": results.log,
        "worker": worker,
        "graded": graded,
    }


def _check_versions(payload: dict[str, Any], settings: WorkerSettings, context: dict[str, object]) -> None:
    """A worker whose grader, suite, image or backend differ from the coordinator's must not grade."""
    from .._image import image_version

    if payload.get("protocol") != PROTOCOL:
        raise InfrastructureError(
            f"worker {settings.name} speaks task protocol {PROTOCOL}, not {payload.get('protocol')!r}"
        )
    differ = sorted(k for k in {*context, *payload["context"]} if context.get(k) != payload["context"].get(k))
    if differ:
        raise InfrastructureError(
            f"worker {settings.name} grades with another grader than the coordinator ({', '.join(differ)} differ):"
            " install the same version of the course on both"
        )
    if payload["image"] != image_version():
        raise InfrastructureError(
            f"worker {settings.name} has grading image {image_version()}, the coordinator {payload['image']}:"
            " install the same version of the course on both"
        )
    if payload["backend"] != settings.backend:
        raise InfrastructureError(
            f"worker {settings.name} grades with the {settings.backend} backend, the batch asked for {payload['backend']}"
        )


def handle(payload: dict[str, Any], settings: WorkerSettings, client: redis.Redis) -> dict[str, Any]:
    """Grade one submission (or answer its stored grade); never raises for a bad submission."""
    from .._api import grade

    key, lab = str(payload["key"]), str(payload["lab"])
    started = time.monotonic()
    max_score = 0.0
    try:
        manifest = load_manifest(lab, settings.suites_dir)
        max_score = manifest.max_score
        _check_versions(payload, settings, grading_context(manifest))
        stored = retrying(lambda: client.get(done_key(key, settings.backend)))
        if isinstance(stored, bytes):
            return dict(json.loads(stored)) | {"graded": False}
        data, fetched = retrying(lambda: blobs.fetch(client, str(payload["blob"]), settings.blob_cache))
        if fetched:
            retrying(lambda: client.hincrby(FETCHED, settings.name, 1))
        with tempfile.TemporaryDirectory(prefix="grader-worker-") as tmp:
            submission = blobs.unpack(data, Path(tmp) / "submission")
            if settings.backend == BackendName.DOCKER:
                _remove_dead_graders_containers()
            scratch.remove_dead_folders()
            results = grade(lab=lab, submission=submission, backend=settings.backend, suites_dir=settings.suites_dir)
    except GraderError as exc:
        results = Results.error(
            lab=lab,
            message=str(exc),
            max_score=max_score,
            duration_s=time.monotonic() - started,
            infrastructure_failure=isinstance(exc, InfrastructureError),
        )
    except Exception as exc:  # as a local batch says it
        results = Results.error(
            lab=lab,
            max_score=max_score,
            duration_s=time.monotonic() - started,
            message=f"the grader failed on this submission: {type(exc).__name__}: {exc}",
        )
    answer = _answer(key, results, settings.name, graded=True)
    if is_final(results):  # a broker that went away meanwhile is waited for: the grade is kept
        retrying(lambda: client.set(done_key(key, settings.backend), json.dumps(answer), nx=True, ex=RESULT_TTL_S))
        retrying(lambda: client.hincrby(GRADED, settings.name, 1))
        stored = retrying(lambda: client.get(done_key(key, settings.backend)))
        if isinstance(stored, bytes):  # a duplicate that finished first: its grade is the grade
            answer = dict(json.loads(stored))
    return answer


def _remove_dead_graders_containers() -> None:
    """A pool process killed mid-grading leaves its container running: remove the containers of
    graders that are gone (``grader clean``) before starting another."""
    import docker

    from .._backends.docker import remove_leftovers

    try:
        remove_leftovers()
    except (docker.errors.DockerException, GraderError):
        pass

"""The batch's side of a distributed run: one task per distinct submission, answers into the store.

``grader._batch.batch(broker=...)`` plans as always (students, the store, cache hits), then hands
the students left to ``grade_remotely``: it hashes each submission (the local cache key), packs
and uploads it once, sends a task named by its key, and saves every answer with the local
batch's ``Store`` - so ``results/<student>.json`` and ``gradebook.csv`` are written as a local
batch writes them. Students whose submissions are byte for byte the same share one task.

A key already graded by a worker (a re-run after Ctrl-C, a late duplicate) is answered from
Redis without a task. Ctrl-C stops collecting; the tasks already sent are graded anyway and a
re-run collects them. A broker that stops answering is retried with backoff for
``OUTAGE_S`` before the batch gives up (the results saved so far are kept).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import redis
from kombu.exceptions import OperationalError

from .._batch.cache import cache_key
from .._batch.gradebook import StudentResult
from .._batch.store import Store
from .._errors import GraderError, InfrastructureError
from .._results import Results
from . import blobs
from .broker import OUTAGE_S, PROTOCOL, QUEUE, TASK_NAME, check_visibility, connect, make_app, redact, retrying
from .tasks import done_key, payload

POLL_S = 0.5


@dataclasses.dataclass(frozen=True)
class Student:
    student: str
    submission: Path


OnResult = Callable[[StudentResult, "str | None"], object]  # a row, and the worker that graded it


def task_id(key: str, backend: str) -> str:
    return f"grade-{backend}-{key}"


def grade_remotely(
    *,
    url: str,
    store: Store,
    context: dict[str, object],
    students: Iterable[Student],
    backend: str,
    visibility_timeout_s: float,
    on_result: OnResult,
    log: Callable[[str], object],
) -> None:
    """Grade ``students`` on the workers of broker ``url``; ``on_result`` receives each row as it
    is saved. Raises InfrastructureError (one line) when the broker cannot be reached."""
    from celery.result import AsyncResult

    manifest = store.manifest
    check_visibility(visibility_timeout_s, manifest)
    client = connect(url)
    app = make_app(url, visibility_timeout_s=visibility_timeout_s)
    groups: dict[str, list[Student]] = {}
    for s in students:
        try:
            key = cache_key(context, s.submission)
            cached = store.cached(s.student, key)
        except GraderError as exc:
            error = Results.error(lab=manifest.id, message=str(exc), max_score=manifest.max_score)
            on_result(store.save(s.student, error, key=None), None)
            continue
        except Exception as exc:
            on_result(StudentResult.not_graded(s.student, manifest, f"could not read the submission: {exc}"), None)
            continue
        if cached:
            on_result(cached, None)
        else:
            groups.setdefault(key, []).append(s)

    pending: dict[str, tuple[str, list[Student]]] = {}  # task id -> (cache key, its students)
    for key, group in groups.items():
        stored = retrying(functools.partial(client.get, done_key(key, backend)))
        if isinstance(stored, bytes):  # graded already, by a run that was interrupted or another batch
            _collect(store, key, group, json.loads(stored), on_result)
            continue
        try:
            sha, data = blobs.pack(group[0].submission)
        except GraderError as exc:
            error = Results.error(lab=manifest.id, message=str(exc), max_score=manifest.max_score)
            for s in group:
                on_result(store.save(s.student, error, key=None), None)
            continue
        retrying(functools.partial(blobs.upload, client, sha, data))
        task = payload(
            lab=manifest.id, key=key, blob=sha, students=[s.student for s in group], context=context, backend=backend
        )
        # An earlier run's answer under this id (an error: final grades are answered above) must
        # not pass for this run's: forget it before sending again.
        AsyncResult(task_id(key, backend), app=app).forget()
        app.send_task(TASK_NAME, args=[task], task_id=task_id(key, backend), queue=QUEUE)
        pending[task_id(key, backend)] = (key, group)
    if pending and not app.control.ping(timeout=2.0):
        log(f"no worker answers on {redact(url)} yet: start one on each Docker host with `grader worker --broker URL`")
    _wait(app, store, pending, on_result)


def _wait(app: Any, store: Store, pending: dict[str, tuple[str, list[Student]]], on_result: OnResult) -> None:
    """Poll the result backend until every task has answered; wait out broker outages."""
    from celery.result import AsyncResult

    outage_since: float | None = None
    delay = POLL_S
    while pending:
        try:
            for tid in list(pending):
                result = AsyncResult(tid, app=app)
                if not result.ready():
                    continue
                answer = result.get(propagate=False)
                key, group = pending.pop(tid)
                if result.successful() and isinstance(answer, dict):
                    _collect(store, key, group, answer, on_result)
                else:
                    message = f"the worker's task failed: {type(answer).__name__}: {answer}"
                    for s in group:
                        on_result(StudentResult.not_graded(s.student, store.manifest, message), None)
            outage_since, delay = None, POLL_S
        except (redis.RedisError, OperationalError, ConnectionError) as exc:
            now = time.monotonic()
            outage_since = outage_since or now
            if now - outage_since > OUTAGE_S:
                raise InfrastructureError(
                    f"the broker stopped answering for {OUTAGE_S} s ({type(exc).__name__}); run the batch again"
                ) from None
            delay = min(delay * 2, 10.0)
        time.sleep(delay)


def _collect(store: Store, key: str, group: list[Student], answer: dict[str, Any], on_result: OnResult) -> None:
    """Save a worker's answer for every student of ``group``, as a local batch saves a grade."""
    worker = str(answer.get("worker", "?"))
    try:
        if answer.get("protocol") != PROTOCOL or answer.get("key") != key:
            raise ValueError("an answer for another task")
        results = dataclasses.replace(Results.from_dict(answer["results"]), log=str(answer.get("log", "")))
        if results.lab != store.manifest.id:
            raise ValueError(f"results of {results.lab}")
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        message = f"worker {worker} answered something that is not this submission's results: {exc}"
        for s in group:
            on_result(StudentResult.not_graded(s.student, store.manifest, message), worker)
        return
    for s in group:
        try:
            row = store.save(s.student, results, key=key)
        except Exception as exc:
            row = StudentResult.not_graded(
                s.student, store.manifest, f"could not store the results: {type(exc).__name__}: {exc}"
            )
        on_result(row, worker)

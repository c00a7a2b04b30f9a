"""The Celery app both sides share, its delivery settings, and the Redis connection.

Celery's Redis transport gives at-least-once delivery with these settings:

* ``task_acks_late``: a task is acknowledged when it has finished, not when it is received;
* ``task_reject_on_worker_lost``: a grading process that dies (SIGKILL, OOM) puts its task back
  in the queue at once, for another worker;
* the broker's ``visibility_timeout``: a task a whole host took and never acknowledged (its
  worker was killed, the machine lost) is delivered again after that many seconds - so it must
  be longer than any lab's deadline, or a slow grading would be handed to a second worker;
* ``worker_prefetch_multiplier = 1``: a worker holds only the tasks it grades, so a long queue
  spreads over all the workers and a lost worker takes no waiting task with it;
* JSON only, both ways: nothing is unpickled from the broker.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import redis

from .._backends._common import GRACE_S
from .._errors import GraderError, InfrastructureError
from .._manifest import Manifest

QUEUE = "grader"
TASK_NAME = "grader.grade"
PROTOCOL = 1  # of the task's payload and answer; a worker refuses another
DEFAULT_VISIBILITY_TIMEOUT_S = 3600  # Celery's default for Redis; far above every lab's deadline
MARGIN_S = 60  # on top of a lab's deadline: fetching, staging, starting the container
BROKER_RETRIES = 6  # connecting: 0.5, 1, 2, 4, 8, 16 s apart (about half a minute)
RESULT_TTL_S = 7 * 24 * 3600  # answers and blobs outlive a week of re-runs
OUTAGE_S = 300  # how long either side waits out a broker that stopped answering

T = TypeVar("T")


def check_url(url: str) -> str:
    """A Redis URL, or a one-line GraderError."""
    if urlsplit(url).scheme not in ("redis", "rediss"):
        raise GraderError(f"--broker must be a Redis URL such as redis://HOST:6379/0, not {redact(url)!r}")
    return url


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"//([^:/@]*):[^@/]*@", r"//\1:***@", url)


def deadline_s(manifest: Manifest) -> float:
    """How long one grading of this lab can take at most, start to finish."""
    return manifest.limits.timeout_s + GRACE_S + MARGIN_S


def check_visibility(visibility_timeout_s: float, manifest: Manifest) -> None:
    """A task still running when the visibility timeout passes is delivered again: refuse a
    timeout that a grading of this lab could outlast."""
    if visibility_timeout_s <= deadline_s(manifest):
        raise GraderError(
            f"--visibility-timeout {visibility_timeout_s:g} s is not above {manifest.id}'s deadline"
            f" ({deadline_s(manifest):g} s with start-up): a slow grading would be delivered twice"
        )


def make_app(url: str, *, visibility_timeout_s: float = DEFAULT_VISIBILITY_TIMEOUT_S) -> Any:
    """The Celery app on broker ``url`` (also the result backend), with the task registered."""
    from celery import Celery

    from .tasks import grade_task

    app = Celery("grader", broker=check_url(url), backend=url, set_as_current=False)
    transport = {"visibility_timeout": visibility_timeout_s}
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_track_started=True,
        task_default_queue=QUEUE,
        result_expires=RESULT_TTL_S,
        result_extended=True,
        broker_transport_options=transport,
        result_backend_transport_options=transport,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        task_publish_retry=True,
        task_publish_retry_policy={"max_retries": 10, "interval_start": 0.5, "interval_step": 1, "interval_max": 5},
    )
    app.task(name=TASK_NAME, acks_late=True, reject_on_worker_lost=True)(grade_task)
    return app


def connect(url: str, *, retries: int = BROKER_RETRIES) -> redis.Redis:
    """A Redis client that answered a PING, retried with exponential backoff; else a one-line
    InfrastructureError."""
    client = redis.Redis.from_url(check_url(url), socket_connect_timeout=5, socket_timeout=30)
    delay = 0.5
    for attempt in range(retries + 1):
        try:
            client.ping()
            return client
        except redis.RedisError as exc:
            if attempt == retries:
                raise InfrastructureError(
                    f"cannot reach the broker at {redact(url)} ({type(exc).__name__}: {exc})"
                ) from None
            time.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


def retrying(operation: Callable[[], T], *, patience_s: float = OUTAGE_S) -> T:
    """``operation()``, tried again with exponential backoff (0.5 s doubling to 10 s) while the
    broker does not answer, for at most ``patience_s``; then its error."""
    started, delay = time.monotonic(), 0.5
    while True:
        try:
            return operation()
        except (redis.ConnectionError, redis.TimeoutError):
            if time.monotonic() - started > patience_s:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 10.0)

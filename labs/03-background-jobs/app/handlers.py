"""Job handlers: `handler(job)` where job is the dict `claim()` returns. Raising = the run failed."""

from __future__ import annotations

import time
from typing import Any, Callable

from sqlalchemy import select  # noqa: F401
from sqlalchemy.dialects import postgresql, sqlite  # noqa: F401

from .db import get_engine
from .mail import send_mail  # noqa: F401
from .models import Order, Ping, SentMail  # noqa: F401


def ping(job: dict[str, Any]) -> None:
    """Sleep payload["seconds"] (default 0) and record the run in `pings` (given: the tests use it)."""
    started = time.time()
    time.sleep(float(job["payload"].get("seconds", 0)))
    with get_engine().begin() as conn:
        conn.execute(Ping.__table__.insert().values(
            job_id=job["id"], worker_id=job["worker_id"], started_at=started, finished_at=time.time()))


def fail(job: dict[str, Any]) -> None:
    """Always raises (given: a poison job for the tests)."""
    raise RuntimeError(job["payload"].get("message", "this job always fails"))


def send_order_confirmation(job: dict[str, Any]) -> None:
    """Mail the order's confirmation - exactly once per order, however often the job runs."""
    raise NotImplementedError("TODO: send the mail with send_mail(), at most once per order (see README.md)")


HANDLERS: dict[str, Callable[[dict[str, Any]], None]] = {
    "ping": ping,
    "fail": fail,
    "send_order_confirmation": send_order_confirmation,
}

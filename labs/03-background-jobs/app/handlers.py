"""Job handlers: `handler(job)` where job is the dict `claim()` returns.

Raising means the run failed: `PermanentError` (app.errors) if retrying cannot help, any other
exception if a later attempt might succeed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select  # noqa: F401
from sqlalchemy.dialects import postgresql, sqlite  # noqa: F401

from .db import get_engine
from .errors import PermanentError
from .mail import send_mail  # noqa: F401
from .models import Order, Ping, SentMail  # noqa: F401


def ping(job: dict[str, Any]) -> None:
    """Record the run in `pings` (given: the tests use it).

    payload["seconds"] (default 0): how long the run takes. payload["gate"]: a file path - the
    run waits until that file exists (at most 60 s), so a test decides when the job ends.
    """
    started = time.time()
    payload = job["payload"]
    if payload.get("gate"):
        deadline = time.monotonic() + 60
        while not os.path.exists(payload["gate"]) and time.monotonic() < deadline:
            time.sleep(0.01)
    time.sleep(float(payload.get("seconds", 0)))
    with get_engine().begin() as conn:
        conn.execute(
            Ping.__table__.insert().values(
                job_id=job["id"], worker_id=job["worker_id"], started_at=started, finished_at=time.time()
            )
        )


def fail(job: dict[str, Any]) -> None:
    """Always raises (given: a poison job for the tests); PermanentError if payload["permanent"]."""
    message = job["payload"].get("message", "this job always fails")
    raise (PermanentError if job["payload"].get("permanent") else RuntimeError)(message)


def send_order_confirmation(job: dict[str, Any]) -> None:
    """Mail the order's confirmation - at most once per order, however often the job runs."""
    raise NotImplementedError("TODO: send the mail with send_mail(), at most once per order (README, R17-R19)")


HANDLERS: dict[str, Callable[[dict[str, Any]], None]] = {
    "ping": ping,
    "fail": fail,
    "send_order_confirmation": send_order_confirmation,
}

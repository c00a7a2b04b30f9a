"""Job handlers: `handler(job)` where job is the dict `claim()` returns.

Raising means the run failed: `PermanentError` (app.errors) if retrying cannot help, any other
exception if a later attempt might succeed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from .db import get_engine
from .errors import PermanentError
from .mail import send_mail
from .models import Order, Ping, SentMail


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
    """Mail the order's confirmation - at most once per order, however often the job runs.

    The queue delivers at least once (a retry, an expired lease), so this handler checks
    `sent_mails` before sending and records the mail after; a failed send records nothing, so
    the retry sends it. Two windows stay open, and no check in our database can close them:
    a crash after the SMTP server accepted the mail and before our record commits, and a
    worker whose lease expired still running beside its successor. For those the Message-ID
    is derived from the order: a receiver that deduplicates by it keeps one copy.
    """
    order_id = int(job["payload"]["order_id"])
    engine = get_engine()
    with engine.begin() as conn:
        order = conn.execute(select(Order.email, Order.total_cents).where(Order.id == order_id)).one_or_none()
        if order is None:  # retrying can't create the order: dead-letter at once
            raise PermanentError(f"order {order_id} does not exist")
        # BUG: no check of sent_mails before sending
    message_id = f"<order-{order_id}@duckshop.example>"
    send_mail(
        to=order.email,
        subject=f"Your Duck Shop order #{order_id} is confirmed",
        body=f"Thank you! Order #{order_id}, total {order.total_cents / 100:.2f} EUR.",
        headers={"Message-ID": message_id, "X-Order-Id": str(order_id)},
    )
    insert = (postgresql if engine.dialect.name == "postgresql" else sqlite).insert(SentMail)
    with engine.begin() as conn:
        conn.execute(
            insert.values(order_id=order_id, message_id=message_id, sent_at=time.time()).on_conflict_do_nothing(
                index_elements=["order_id"]
            )
        )


HANDLERS: dict[str, Callable[[dict[str, Any]], None]] = {
    "ping": ping,
    "fail": fail,
    "send_order_confirmation": send_order_confirmation,
}

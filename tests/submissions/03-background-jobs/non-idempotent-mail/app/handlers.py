"""Job handlers: `handler(job)` where job is the dict `claim()` returns. Raising = the run failed."""

from __future__ import annotations

import time
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from .db import get_engine
from .mail import send_mail
from .models import Order, Ping, SentMail


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
    """Mail the order's confirmation - exactly once per order, however often the job runs.

    The queue delivers at least once (a retry, an expired lease), so this handler checks
    `sent_mails` before sending and records the mail after. The window left - a crash
    between the SMTP server accepting the mail and our commit - is why the Message-ID is
    derived from the order: a provider that deduplicates by it closes that gap too.
    """
    order_id = int(job["payload"]["order_id"])
    engine = get_engine()
    with engine.begin() as conn:
        order = conn.execute(select(Order.email, Order.total_cents).where(Order.id == order_id)).one_or_none()
        if order is None:
            raise LookupError(f"order {order_id} does not exist")
        # BUG: no check of sent_mails: every delivery of the job sends the mail again
    message_id = f"<order-{order_id}@duckshop.example>"
    send_mail(
        to=order.email,
        subject=f"Your Duck Shop order #{order_id} is confirmed",
        body=f"Thank you! Order #{order_id}, total {order.total_cents / 100:.2f} EUR.",
        headers={"Message-ID": message_id, "X-Order-Id": str(order_id)},
    )
    insert = (postgresql if engine.dialect.name == "postgresql" else sqlite).insert(SentMail)
    with engine.begin() as conn:
        conn.execute(insert.values(order_id=order_id, message_id=message_id, sent_at=time.time())
                     .on_conflict_do_nothing(index_elements=["order_id"]))


HANDLERS: dict[str, Callable[[dict[str, Any]], None]] = {
    "ping": ping,
    "fail": fail,
    "send_order_confirmation": send_order_confirmation,
}

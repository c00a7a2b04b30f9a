"""Placing an order: the business write and its confirmation job in ONE transaction.

This is the transactional outbox: the job row is written with the order, so either both
exist or neither does. A rolled-back order leaves no job, so no mail goes out.
"""

from __future__ import annotations

import time

from .db import get_engine
from .models import Order
from .queue import submit


def place_order(email: str, total_cents: int, *, fail_after_enqueue: bool = False) -> int:
    """Insert an order and enqueue its confirmation mail; returns the order id.

    `fail_after_enqueue=True` raises RuntimeError after both writes, before the commit (it
    stands for any error later in the request: a failed payment, a bug, a crash).
    """
    with get_engine().begin() as conn:
        order_id = conn.execute(
            Order.__table__.insert()
            .values(email=email, total_cents=total_cents, created_at=time.time())
            .returning(Order.id)
        ).scalar_one()
    submit("send_order_confirmation", {"order_id": order_id})  # BUG: a second transaction (a dual write)
    if fail_after_enqueue:
        raise RuntimeError("the order failed after its job was enqueued")
    return order_id

"""Placing an order: the business write and its confirmation job in ONE transaction."""

from __future__ import annotations

import time  # noqa: F401

from .db import get_engine  # noqa: F401
from .models import Order  # noqa: F401
from .queue import enqueue  # noqa: F401


def place_order(email: str, total_cents: int, *, fail_after_enqueue: bool = False) -> int:
    """Insert an order and enqueue its confirmation mail; returns the order id.

    `fail_after_enqueue=True` raises RuntimeError after both writes, before the commit (it
    stands for any error later in the request: a failed payment, a bug, a crash).
    """
    raise NotImplementedError(
        "TODO: the order and its send_order_confirmation job in one transaction (README, R15-R16)"
    )

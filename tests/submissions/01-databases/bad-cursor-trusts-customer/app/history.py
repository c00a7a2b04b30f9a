"""A customer's orders with their items, newest first, one page at a time.

Keyset pagination: the cursor is the position of the last order shown, (created_at, id), and
the next page is "the orders strictly older than that position". Unlike OFFSET, new orders
arriving between two page requests can't shift the pages (no duplicates, no gaps), and the
index on (customer_id, created_at, id) finds the start of every page directly.
"""

from __future__ import annotations

import base64
import json

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from . import times
from .db import session_for
from .models import Order, OrderItem


def _encode(order: Order) -> str:
    position = [times.iso(order.created_at), order.id, order.customer_id]
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode()


def _decode(cursor: str) -> tuple:
    """The position a cursor names. It is not a secret and grants nothing: the query still filters
    on the customer, so a cursor can only say where to continue - anything else is a ValueError."""
    try:
        created_at, order_id, customer_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(created_at, str) or type(order_id) is not int or type(customer_id) is not int:
            raise ValueError("a cursor holds a timestamp and two ids")
        return times.parse(created_at), order_id, customer_id
    except (ValueError, TypeError, AttributeError) as exc:  # binascii and JSON errors are ValueErrors
        raise ValueError(f"bad cursor {cursor!r}") from exc


def order_history(url: str, customer_id: int, limit: int = 10, after: str | None = None) -> dict:
    if type(limit) is not int or not 1 <= limit <= 100:
        raise ValueError("limit must be an integer from 1 to 100")
    if after is not None:  # WRONG (on purpose): the cursor's customer replaces the caller's
        customer_id = _decode(after)[2]
    query = (
        select(Order)
        .where(Order.customer_id == customer_id)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(limit + 1)  # one more than asked: is there a next page?
        # Eager loading: ONE more query fetches the items of all the page's orders
        # (WHERE order_id IN (...)), instead of one query per order (the N+1 problem).
        .options(selectinload(Order.items).joinedload(OrderItem.product))
    )
    if after is not None:
        created_at, order_id, _ = _decode(after)
        query = query.where(
            or_(Order.created_at < created_at, and_(Order.created_at == created_at, Order.id < order_id))
        )
    with session_for(url) as session:
        orders = session.scalars(query).all()
        page = orders[:limit]
        return {
            "orders": [
                {
                    "order_id": order.id,
                    "created_at": times.iso(order.created_at),
                    "status": order.status,
                    "total_cents": order.total_cents,
                    "items": [
                        {"sku": item.product.sku, "quantity": item.quantity, "unit_price_cents": item.unit_price_cents}
                        for item in sorted(order.items, key=lambda i: i.product.sku)
                    ],
                }
                for order in page
            ],
            "next": _encode(page[-1]) if len(orders) > limit else None,
        }

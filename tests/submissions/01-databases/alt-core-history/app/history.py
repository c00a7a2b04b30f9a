"""A customer's orders - another correct design: SQLAlchemy Core, a row-value comparison and a
readable cursor ("<created_at>|<id>"), two statements per page (the orders, then all their lines)."""

from __future__ import annotations

from sqlalchemy import select, tuple_

from . import times
from .db import engine_for
from .models import Order, OrderItem, Product


def _cursor(created_at, order_id: int) -> str:
    return f"{times.iso(created_at)}|{order_id}"


def _position(cursor) -> tuple:
    if not isinstance(cursor, str) or cursor.count("|") != 1:
        raise ValueError(f"bad cursor {cursor!r}")
    moment, order_id = cursor.split("|")
    if not order_id.isdigit():
        raise ValueError(f"bad cursor {cursor!r}")
    return times.parse(moment), int(order_id)  # a bad timestamp is a ValueError too


def order_history(url: str, customer_id: int, limit: int = 10, after: str | None = None) -> dict:
    if type(limit) is not int or not 1 <= limit <= 100:
        raise ValueError("limit must be an integer from 1 to 100")
    orders = (
        select(Order.id, Order.created_at, Order.status, Order.total_cents)
        .where(Order.customer_id == customer_id)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(limit + 1)
    )
    if after is not None:
        orders = orders.where(tuple_(Order.created_at, Order.id) < tuple_(*_position(after)))
    with engine_for(url).connect() as conn:
        rows = conn.execute(orders).all()
        page = rows[:limit]
        lines = conn.execute(
            select(OrderItem.order_id, Product.sku, OrderItem.quantity, OrderItem.unit_price_cents)
            .join(Product, Product.id == OrderItem.product_id)
            .where(OrderItem.order_id.in_([r.id for r in page]))
            .order_by(OrderItem.order_id, Product.sku)
        ).all()
    items: dict[int, list[dict]] = {}
    for line in lines:
        items.setdefault(line.order_id, []).append(
            {"sku": line.sku, "quantity": line.quantity, "unit_price_cents": line.unit_price_cents}
        )
    return {
        "orders": [
            {
                "order_id": r.id,
                "created_at": times.iso(r.created_at),
                "status": r.status,
                "total_cents": r.total_cents,
                "items": items.get(r.id, []),
            }
            for r in page
        ],
        "next": _cursor(page[-1].created_at, page[-1].id) if len(rows) > limit else None,
    }

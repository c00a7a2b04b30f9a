"""Revenue reports - another correct design: hand-written SQL, the lines summed per order in a
subquery first (so an order without lines is a 0 row), then counted and summed per period."""

from __future__ import annotations

from sqlalchemy import DateTime, bindparam, text

from . import times
from .db import engine_for

PER_ORDER = """
    SELECT o.id, o.customer_id, COALESCE(SUM(i.quantity * i.unit_price_cents), 0) AS cents
    FROM orders o LEFT JOIN order_items i ON i.order_id = o.id
    WHERE o.created_at >= :start AND o.created_at < :end AND o.status <> 'cancelled'
    GROUP BY o.id, o.customer_id
"""


# Typed parameters: on SQLite a datetime is stored as text, and only the column's type writes it
# the way the stored rows are written (a bare datetime would compare as a differently formatted string).
TIMES = (bindparam("start", type_=DateTime(timezone=True)), bindparam("end", type_=DateTime(timezone=True)))


def _period(start: str, end: str) -> dict:
    return {"start": times.parse(start), "end": times.parse(end)}


def revenue(url: str, start: str, end: str) -> dict:
    sql = text(f"SELECT COUNT(*), COALESCE(SUM(cents), 0) FROM ({PER_ORDER}) per_order").bindparams(*TIMES)
    with engine_for(url).connect() as conn:
        orders, cents = conn.execute(sql, _period(start, end)).one()
    return {"orders": orders, "revenue_cents": int(cents)}


def top_customers(url: str, start: str, end: str, limit: int = 10) -> list[dict]:
    sql = text(
        f"SELECT c.id, c.email, COUNT(*) AS orders, SUM(per_order.cents) AS cents "
        f"FROM ({PER_ORDER}) per_order JOIN customers c ON c.id = per_order.customer_id "
        "GROUP BY c.id, c.email ORDER BY cents DESC, c.id LIMIT :limit"
    ).bindparams(*TIMES)
    with engine_for(url).connect() as conn:
        rows = conn.execute(sql, {**_period(start, end), "limit": limit}).all()
    return [{"customer_id": r[0], "email": r[1], "orders": r[2], "revenue_cents": int(r[3])} for r in rows]

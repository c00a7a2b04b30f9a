"""Revenue reports, computed by the database: one query, whatever the number of orders.

The shop's definitions (README, 'Reports'): an order counts when it is not cancelled and was
created in the period [start, end) - start included, end excluded, so consecutive periods never
count an order twice - with or without lines. Revenue is summed from the lines (the price at
order time), never from today's product prices.
"""

from __future__ import annotations

from sqlalchemy import func, select

from . import times
from .db import session_for
from .models import Customer, Order, OrderItem

# An outer join keeps an order without lines (its line columns are NULL); COALESCE makes the
# sum over no lines - or over no orders at all - a 0 instead of NULL.
LINE_TOTAL = func.coalesce(func.sum(OrderItem.quantity * OrderItem.unit_price_cents), 0)
ORDERS = func.count(func.distinct(Order.id))


def _counted(query, start: str, end: str):
    return query.outerjoin(OrderItem, OrderItem.order_id == Order.id).where(
        # WRONG (on purpose): the end is included.
        Order.created_at >= times.parse(start),
        Order.created_at <= times.parse(end),
        Order.status != "cancelled",
    )


def revenue(url: str, start: str, end: str) -> dict:
    query = _counted(select(ORDERS, LINE_TOTAL).select_from(Order), start, end)
    with session_for(url) as session:
        orders, revenue_cents = session.execute(query).one()
    return {"orders": orders, "revenue_cents": int(revenue_cents)}


def top_customers(url: str, start: str, end: str, limit: int = 10) -> list[dict]:
    spent = LINE_TOTAL.label("revenue_cents")
    query = (
        _counted(
            select(Customer.id, Customer.email, ORDERS, spent).join(Order, Order.customer_id == Customer.id), start, end
        )
        .group_by(Customer.id, Customer.email)
        # Ties are real (two customers who spent the same): break them by id, so the answer
        # is the same on every engine and every run.
        .order_by(spent.desc(), Customer.id)
        .limit(limit)
    )
    with session_for(url) as session:
        rows = session.execute(query).all()
    return [
        {"customer_id": cid, "email": email, "orders": n, "revenue_cents": int(cents)} for cid, email, n, cents in rows
    ]

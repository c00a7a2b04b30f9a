"""Revenue reports, computed by the database: one query, whatever the number of orders.

A period is [start, end): start included, end excluded, so consecutive periods never count an
order twice. Cancelled orders earn nothing. Revenue is summed from the item lines (the price
at order time), never from today's product prices.
"""

from __future__ import annotations

from sqlalchemy import func, select

from . import times
from .db import session_for
from .models import Customer, Order, OrderItem

LINE_TOTAL = OrderItem.quantity * OrderItem.unit_price_cents


def _in_period(start: str, end: str):
    return (Order.created_at >= times.parse(start), Order.created_at < times.parse(end),
            Order.status != "cancelled")


def revenue(url: str, start: str, end: str) -> dict:
    query = (
        select(func.count(func.distinct(Order.id)), func.coalesce(func.sum(LINE_TOTAL), 0))
        .join(OrderItem, OrderItem.order_id == Order.id)
        .where(*_in_period(start, end))
    )
    with session_for(url) as session:
        orders, revenue_cents = session.execute(query).one()
    return {"orders": orders, "revenue_cents": int(revenue_cents)}


def top_customers(url: str, start: str, end: str, limit: int = 10) -> list[dict]:
    spent = func.sum(LINE_TOTAL).label("revenue_cents")
    query = (
        select(Customer.id, Customer.email, func.count(func.distinct(Order.id)), spent)
        .join(Order, Order.customer_id == Customer.id)
        .join(OrderItem, OrderItem.order_id == Order.id)
        .where(*_in_period(start, end))
        .group_by(Customer.id, Customer.email)
        # Ties are real (two customers who spent the same): break them by id, so the answer
        # is the same on every engine and every run.
        .order_by(spent.desc(), Customer.id)
        .limit(limit)
    )
    with session_for(url) as session:
        rows = session.execute(query).all()
    return [{"customer_id": cid, "email": email, "orders": n, "revenue_cents": int(cents)}
            for cid, email, n, cents in rows]

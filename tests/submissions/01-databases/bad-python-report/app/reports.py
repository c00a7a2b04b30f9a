"""Revenue reports, computed by the database: one query, whatever the number of orders.

A period is [start, end): start included, end excluded, so consecutive periods never count an
order twice. Cancelled orders earn nothing. Revenue is summed from the item lines (the price
at order time), never from today's product prices.
"""

from __future__ import annotations

from sqlalchemy import select

from . import times
from .db import session_for
from .models import Customer, Order, OrderItem

def _in_period(start: str, end: str):
    return (Order.created_at >= times.parse(start), Order.created_at < times.parse(end),
            Order.status != "cancelled")


# WRONG (on purpose): load the orders, then add up in Python - one query per order's items.
def _orders(session, start: str, end: str) -> list[Order]:
    return session.scalars(select(Order).where(*_in_period(start, end))).all()


def _total(session, order: Order) -> int:
    lines = session.scalars(select(OrderItem).where(OrderItem.order_id == order.id)).all()
    return sum(line.quantity * line.unit_price_cents for line in lines)


def revenue(url: str, start: str, end: str) -> dict:
    with session_for(url) as session:
        totals = [_total(session, order) for order in _orders(session, start, end)]
    return {"orders": len(totals), "revenue_cents": sum(totals)}


def top_customers(url: str, start: str, end: str, limit: int = 10) -> list[dict]:
    spent: dict[int, list[int]] = {}
    with session_for(url) as session:
        for order in _orders(session, start, end):
            spent.setdefault(order.customer_id, []).append(_total(session, order))
        emails = {c.id: c.email for c in session.scalars(select(Customer).where(Customer.id.in_(spent)))}
    rows = [{"customer_id": cid, "email": emails[cid], "orders": len(t), "revenue_cents": sum(t)}
            for cid, t in spent.items()]
    return sorted(rows, key=lambda row: (-row["revenue_cents"], row["customer_id"]))[:limit]

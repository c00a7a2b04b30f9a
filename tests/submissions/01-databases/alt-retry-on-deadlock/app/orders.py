"""Placing an order - another correct design: rows locked in the order the customer listed them,
and the whole transaction retried when PostgreSQL breaks a deadlock (40P01) or a serialization
failure (40001)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError

from . import times
from .db import session_for
from .errors import InjectedFailure, InsufficientStock, UnknownCustomer, UnknownProduct
from .models import Customer, Order, OrderItem, Product


def _validate(items: list[dict]) -> dict[str, int]:
    if not items:
        raise ValueError("an order needs at least one item")
    wanted: dict[str, int] = {}
    for item in items:
        sku, quantity = item.get("sku"), item.get("quantity")
        if not isinstance(sku, str) or type(quantity) is not int or quantity < 1:
            raise ValueError(f"bad item {item!r}: sku must be a string, quantity an integer >= 1")
        if sku in wanted:
            raise ValueError(f"sku {sku!r} appears twice")
        wanted[sku] = quantity
    return wanted


RETRIED = {"40P01", "40001"}  # deadlock_detected, serialization_failure: safe to run again


def place_order(
    url: str, customer_id: int, items: list[dict], created_at: str | None = None, fail_after_items: int | None = None
) -> dict:
    wanted = _validate(items)
    moment = times.parse(created_at) if created_at else times.now()
    for attempt in range(10):
        try:
            return _place(url, customer_id, wanted, moment, fail_after_items)
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) not in RETRIED or attempt == 9:
                raise


def _place(url: str, customer_id: int, wanted: dict[str, int], moment, fail_after_items: int | None) -> dict:
    # One session, one transaction: `with session.begin()` commits at the end of the block,
    # or rolls back everything if anything inside raises - our own errors included.
    with session_for(url) as session, session.begin():
        if session.get(Customer, customer_id) is None:
            raise UnknownCustomer(f"no customer with id {customer_id}")
        found = {p.sku: p for p in session.scalars(select(Product).where(Product.sku.in_(wanted)))}
        products = [found[sku] for sku in wanted if sku in found]  # as listed: deadlocks happen, and are retried
        missing = set(wanted) - set(found)
        if missing:
            raise UnknownProduct(f"unknown sku(s): {', '.join(sorted(missing))}")
        lines = {p.sku: {"sku": p.sku, "quantity": wanted[p.sku], "unit_price_cents": p.price_cents} for p in products}
        total = sum(line["quantity"] * line["unit_price_cents"] for line in lines.values())

        order = Order(customer_id=customer_id, status="pending", created_at=moment, total_cents=total)
        session.add(order)
        session.flush()  # the INSERT runs now, so order.id is known
        for written, product in enumerate(products):
            # The failure-injection hook (README): a crash between two writes of this order.
            if fail_after_items is not None and written == fail_after_items:
                raise InjectedFailure(f"failing on purpose after {written} item(s)")
            quantity = wanted[product.sku]
            # The atomic conditional UPDATE: check and decrement in ONE statement. The database
            # locks the row while it runs, so two buyers can't both see "1 left" and both take it.
            # Reading stock first and writing `stock - quantity` later would lose updates.
            taken = session.execute(
                update(Product)
                .where(Product.id == product.id, Product.stock >= quantity)
                .values(stock=Product.stock - quantity)
                .execution_options(synchronize_session=False)
            ).rowcount
            if taken != 1:
                raise InsufficientStock(f"not enough {product.sku} in stock for {quantity}")
            session.add(
                OrderItem(
                    order_id=order.id, product_id=product.id, quantity=quantity, unit_price_cents=product.price_cents
                )
            )
            session.flush()
        if fail_after_items is not None and fail_after_items >= len(products):
            raise InjectedFailure(f"failing on purpose after {len(products)} item(s)")
    return {
        "order_id": order.id,
        "customer_id": customer_id,
        "status": order.status,
        "created_at": times.iso(moment),
        "total_cents": total,
        "items": [lines[sku] for sku in sorted(lines)],
    }

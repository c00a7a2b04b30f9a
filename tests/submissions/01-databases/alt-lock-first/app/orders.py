"""Placing an order - another correct design: lock first, then check and write in Python.

PostgreSQL: SELECT ... FOR UPDATE locks the product rows (in id order) before reading them, so a
second buyer waits and then reads the new stock. SQLite has no row locks: BEGIN IMMEDIATE takes
the database's write lock before the first read instead.
"""

from __future__ import annotations

from sqlalchemy import select, text

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
            raise ValueError(f"bad item {item!r}")
        if sku in wanted:
            raise ValueError(f"sku {sku!r} appears twice")
        wanted[sku] = quantity
    return wanted


def place_order(
    url: str, customer_id: int, items: list[dict], created_at: str | None = None, fail_after_items: int | None = None
) -> dict:
    wanted = _validate(items)
    moment = times.parse(created_at) if created_at else times.now()
    with session_for(url) as session, session.begin():
        if session.get_bind().dialect.name == "sqlite":
            session.execute(text("BEGIN IMMEDIATE"))  # the write lock, before any read
        if session.get(Customer, customer_id) is None:
            raise UnknownCustomer(f"no customer with id {customer_id}")
        products = session.scalars(
            select(Product).where(Product.sku.in_(wanted)).order_by(Product.id).with_for_update()
        ).all()
        if len(products) != len(wanted):
            raise UnknownProduct(f"unknown sku(s): {sorted(set(wanted) - {p.sku for p in products})}")
        for product in products:  # the rows are ours until the commit: checking here is safe
            if product.stock < wanted[product.sku]:
                raise InsufficientStock(f"not enough {product.sku}")
        order = Order(
            customer_id=customer_id,
            status="pending",
            created_at=moment,
            total_cents=sum(wanted[p.sku] * p.price_cents for p in products),
        )
        session.add(order)
        session.flush()
        for written, product in enumerate(products):
            if fail_after_items is not None and written == fail_after_items:
                raise InjectedFailure(f"failing on purpose after {written} item(s)")
            product.stock -= wanted[product.sku]
            session.add(
                OrderItem(
                    order_id=order.id,
                    product_id=product.id,
                    quantity=wanted[product.sku],
                    unit_price_cents=product.price_cents,
                )
            )
            session.flush()
        if fail_after_items is not None:
            raise InjectedFailure(f"failing on purpose after {len(products)} item(s)")
        lines = [
            {"sku": p.sku, "quantity": wanted[p.sku], "unit_price_cents": p.price_cents}
            for p in sorted(products, key=lambda p: p.sku)
        ]
    return {
        "order_id": order.id,
        "customer_id": customer_id,
        "status": "pending",
        "created_at": times.iso(moment),
        "total_cents": order.total_cents,
        "items": lines,
    }

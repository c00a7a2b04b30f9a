"""Trusted helpers of the Lab 01 suite: databases, seeded shop data, and reference answers.

The reference answers are computed in Python from the rows this module inserted itself -
independently of any submission and of SQL.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, MetaData, create_engine, event, insert, text
from sqlalchemy.pool import NullPool

from grader._sandbox.learner import LearnerCrash, LearnerError

ENGINES = ["sqlite", "postgres"]
UTC = timezone.utc
T0 = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass
class Db:
    kind: str
    url: str
    engine: Engine

    def tables(self) -> MetaData:
        metadata = MetaData()
        metadata.reflect(self.engine)
        return metadata

    def scalar(self, sql: str, **params):
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def rows(self, sql: str, **params) -> list:
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params)]


def trusted_engine(url: str) -> Engine:
    engine = create_engine(url, poolclass=NullPool)
    if url.startswith("sqlite"):
        @event.listens_for(engine, "connect")
        def _fks(dbapi_connection, _record):
            dbapi_connection.execute("PRAGMA foreign_keys = ON")
    return engine


def call(learner, target: str, *args, **kwargs):
    """A learner call; NotImplementedError (the scaffold) or a crash fails the test at once."""
    try:
        return learner.call(target, *args, **kwargs)
    except LearnerError as exc:
        if exc.type == "NotImplementedError":
            pytest.fail(f"{target} is not implemented yet: {exc.message}", pytrace=False)
        raise
    except LearnerCrash as exc:
        pytest.fail(str(exc), pytrace=False)


def as_utc(value) -> datetime:
    """A timestamp from the learner (ISO text) or from a database (naive UTC on SQLite)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat()


# --- seeded shop data ---------------------------------------------------------------------

@dataclass
class Shop:
    customers: dict[int, str] = field(default_factory=dict)          # id -> email
    products: dict[str, tuple[int, int]] = field(default_factory=dict)  # sku -> (id, price)
    orders: list[dict] = field(default_factory=list)  # {id, customer_id, status, created_at, items}


def add_customer(conn, tables, email: str) -> int:
    return conn.execute(insert(tables.tables["customers"]).returning(tables.tables["customers"].c.id), {
        "email": email, "name": email.split("@")[0].title(), "city": "Ducksburg", "country": "DE",
        "created_at": T0 - timedelta(days=30)}).scalar_one()


def add_product(conn, tables, sku: str, price: int, stock: int) -> int:
    return conn.execute(insert(tables.tables["products"]).returning(tables.tables["products"].c.id), {
        "sku": sku, "name": f"Duck {sku}", "price_cents": price, "stock": stock}).scalar_one()


def add_order(conn, tables, shop: Shop, customer_id: int, created_at: datetime, lines: list[tuple[str, int, int]],
              status: str = "paid", with_total: bool = True) -> dict:
    orders, items = tables.tables["orders"], tables.tables["order_items"]
    row = {"customer_id": customer_id, "status": status, "created_at": created_at}
    if with_total:
        row["total_cents"] = sum(q * p for _, q, p in lines)
    order_id = conn.execute(insert(orders).returning(orders.c.id), row).scalar_one()
    conn.execute(insert(items), [{"order_id": order_id, "product_id": shop.products[sku][0], "quantity": q,
                                  "unit_price_cents": p} for sku, q, p in lines])
    order = {"id": order_id, "customer_id": customer_id, "status": status, "created_at": created_at,
             "items": [{"sku": sku, "quantity": q, "unit_price_cents": p} for sku, q, p in lines]}
    shop.orders.append(order)
    return order


def seed(db: Db, orders: int = 240, seed: int = 1) -> Shop:
    """Customers, products and orders over two months of 2025, with deliberate ties.

    Customer 1 (the first one) orders a lot, some orders share a timestamp; on 2025-04-01
    two customers spend exactly the same amount.
    """
    rng = random.Random(seed)
    tables = db.tables()
    shop = Shop()
    with db.engine.begin() as conn:
        for n in range(1, 9):
            sku = f"DUCK-{n:03d}"
            price = 299 + 150 * n
            shop.products[sku] = (add_product(conn, tables, sku, price, 1000), price)
        for n in range(1, 31):
            email = f"buyer{n:02d}@example.com"
            shop.customers[add_customer(conn, tables, email)] = email
        ids = sorted(shop.customers)
        skus = sorted(shop.products)
        moment = T0
        for n in range(orders):
            if n % 7 != 3:  # every 7th order shares the previous order's timestamp
                moment += timedelta(minutes=rng.randint(1, 600))
            customer = ids[0] if n % 4 == 0 else rng.choice(ids)
            lines = [(sku, rng.choice([1, 1, 1, 2, 3, 12]), shop.products[sku][1] - rng.choice([0, 0, 50]))
                     for sku in rng.sample(skus, rng.randint(1, 3))]
            status = rng.choice(["paid", "paid", "shipped", "pending", "cancelled"])
            add_order(conn, tables, shop, customer, moment, lines, status)
        tie_day = datetime(2025, 4, 1, 12, tzinfo=UTC)
        a, b, c = ids[5], ids[4], ids[6]
        add_order(conn, tables, shop, a, tie_day, [(skus[0], 2, 500)])
        add_order(conn, tables, shop, b, tie_day + timedelta(hours=1), [(skus[1], 1, 1000)])
        add_order(conn, tables, shop, c, tie_day + timedelta(hours=2), [(skus[2], 1, 1500)])
        add_order(conn, tables, shop, c, tie_day + timedelta(hours=3), [(skus[2], 1, 1500)], status="cancelled")
    return shop


# --- reference answers ----------------------------------------------------------------------

def _counted(shop: Shop, start: datetime, end: datetime):
    return [o for o in shop.orders if start <= o["created_at"] < end and o["status"] != "cancelled"]


def order_total(order: dict) -> int:
    return sum(i["quantity"] * i["unit_price_cents"] for i in order["items"])


def reference_revenue(shop: Shop, start: datetime, end: datetime) -> dict:
    counted = _counted(shop, start, end)
    return {"orders": len(counted), "revenue_cents": sum(order_total(o) for o in counted)}


def reference_top(shop: Shop, start: datetime, end: datetime, limit: int) -> list[dict]:
    by_customer: dict[int, list[dict]] = {}
    for order in _counted(shop, start, end):
        by_customer.setdefault(order["customer_id"], []).append(order)
    rows = [{"customer_id": cid, "email": shop.customers[cid], "orders": len(orders),
             "revenue_cents": sum(order_total(o) for o in orders)} for cid, orders in by_customer.items()]
    return sorted(rows, key=lambda r: (-r["revenue_cents"], r["customer_id"]))[:limit]


def reference_history(shop: Shop, customer_id: int) -> list[dict]:
    mine = [o for o in shop.orders if o["customer_id"] == customer_id]
    return sorted(mine, key=lambda o: (o["created_at"], o["id"]), reverse=True)

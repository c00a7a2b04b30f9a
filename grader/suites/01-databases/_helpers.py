"""Trusted helpers of the Lab 01 suite: databases, the seeded shop, and reference answers.

The reference answers are computed in Python from the rows this module inserted itself -
independently of any submission and of SQL.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    insert,
    text,
)
from sqlalchemy.pool import NullPool

from grader.testing import LearnerCrash, LearnerError, call, fail

ENGINES = ["sqlite", "postgres"]
T0 = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass
class Db:
    kind: str
    url: str
    engine: Engine
    name: str = ""  # the PostgreSQL database's name
    reflected: MetaData | None = None  # its tables, as last reflected (a copy shares its template's)

    def tables(self, refresh: bool = False) -> MetaData:
        if self.reflected is None or refresh:
            self.reflected = MetaData()
            self.reflected.reflect(self.engine)
        return self.reflected

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


def as_utc(value) -> datetime:
    """A timestamp from the learner (ISO text) or from a database (naive UTC on SQLite)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso(moment: datetime) -> str:
    """The one format R1 allows: UTC, microseconds, +00:00."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


# A call each function answers at once - with an error, since the arguments are nonsense - except
# the untouched scaffold's, which raises NotImplementedError: the test then fails before it builds
# any database (the scaffold scores 0 in seconds).
PROBES = {
    "app.orders:place_order": ("sqlite://", 0, []),
    "app.history:order_history": ("sqlite://", 0, 0),
    "app.reports:revenue": ("sqlite://", "not a time", "not a time"),
    "app.reports:top_customers": ("sqlite://", "not a time", "not a time"),
    "app.bulk:load_customers": ("sqlite://", "/nonexistent/customers.csv"),
    "app.migrate:upgrade": ("sqlite://", "0001"),
}
FIRST_CALL_S = 60  # a learner process's first call imports its modules: slow on a loaded machine
_missing: dict[str, str] = {}  # target -> why every test of it fails at once
_probed: set[str] = set()


def needs(learner, *targets: str) -> None:
    """Fail at once when one of ``targets`` is still the scaffold's NotImplementedError, or hung on
    the trivial probe call (then every test of it would wait for its timeout)."""
    for target in targets:
        if target not in _probed:
            _probed.add(target)
            started = time.monotonic()
            try:
                learner.call(target, *PROBES[target], timeout_s=FIRST_CALL_S)
            except LearnerError as exc:
                if exc.type == "NotImplementedError":
                    _missing[target] = f"{target} is not implemented yet: {exc.message}"
            except LearnerCrash as exc:
                if time.monotonic() - started >= FIRST_CALL_S:
                    _missing[target] = f"{target} did not answer a call with nonsense arguments: {exc}"
        if target in _missing:
            fail(_missing[target])


def raises(learner, target: str, error: str, *args, **kwargs) -> None:
    """Call ``target``; it must raise the learner exception class ``error``."""
    name = target.rpartition(":")[2]
    shown = ", ".join([*(repr(a)[:80] for a in args[1:]), *(f"{k}={v!r}" for k, v in kwargs.items())])
    try:
        value = call(learner, target, *args, **kwargs)
    except LearnerError as exc:
        if exc.type != error:
            fail(f"{name}(url, {shown}) raised {exc.type} ({exc.message[:200]}); expected {error}")
        return
    fail(f"{name}(url, {shown}) returned {str(value)[:200]}; expected it to raise {error}")


# --- the shop the suite builds ---------------------------------------------------------------


@dataclass
class Shop:
    customers: dict[int, str] = field(default_factory=dict)  # id -> email
    products: dict[str, tuple[int, int]] = field(default_factory=dict)  # sku -> (id, price)
    orders: list[dict] = field(default_factory=list)  # {id, customer_id, status, created_at, items}
    named: dict[str, int] = field(default_factory=dict)  # customers the tests look for, by role

    def history(self, customer_id: int) -> list[dict]:
        """The customer's orders, newest first (R20)."""
        mine = [o for o in self.orders if o["customer_id"] == customer_id]
        return sorted(mine, key=lambda o: (o["created_at"], o["id"]), reverse=True)


def add_customer(conn, tables, email: str) -> int:
    return conn.execute(
        insert(tables.tables["customers"]).returning(tables.tables["customers"].c.id),
        {
            "email": email,
            "name": email.split("@")[0].title(),
            "city": "Ducksburg",
            "country": "DE",
            "created_at": T0 - timedelta(days=30),
        },
    ).scalar_one()


def add_product(conn, tables, sku: str, price: int, stock: int) -> int:
    return conn.execute(
        insert(tables.tables["products"]).returning(tables.tables["products"].c.id),
        {"sku": sku, "name": f"Duck {sku}", "price_cents": price, "stock": stock},
    ).scalar_one()


def add_order(
    conn,
    tables,
    shop: Shop,
    customer_id: int,
    created_at: datetime,
    lines: list[tuple[str, int, int]],
    status: str = "paid",
    with_total: bool = True,
) -> dict:
    orders, items = tables.tables["orders"], tables.tables["order_items"]
    row = {"customer_id": customer_id, "status": status, "created_at": created_at}
    if with_total:
        row["total_cents"] = sum(q * p for _, q, p in lines)
    order_id = conn.execute(insert(orders).returning(orders.c.id), row).scalar_one()
    if lines:
        conn.execute(
            insert(items),
            [
                {"order_id": order_id, "product_id": shop.products[sku][0], "quantity": q, "unit_price_cents": p}
                for sku, q, p in lines
            ],
        )
    order = {
        "id": order_id,
        "customer_id": customer_id,
        "status": status,
        "created_at": created_at,
        "items": [{"sku": sku, "quantity": q, "unit_price_cents": p} for sku, q, p in sorted(lines)],
    }
    shop.orders.append(order)
    return order


# The random orders fill RANDOM_DAYS days from T0 on whole minutes, with statuses that all count:
# the report tests' general periods lie there and start and end on the half minute, so neither
# a boundary, nor a cancelled order, nor an order without lines, nor a tie decides them. Each of
# those cases has its own day after it, and its own test.
RANDOM_DAYS = 60
CANCELLED_DAY = datetime(2025, 4, 1, tzinfo=UTC)
EMPTY_DAY = datetime(2025, 4, 3, tzinfo=UTC)
BOUNDARY_DAY = datetime(2025, 4, 5, tzinfo=UTC)
TIE_DAY = datetime(2025, 4, 8, tzinfo=UTC)
TWINS_AT = datetime(2025, 4, 10, 12, tzinfo=UTC)
A_DAY = timedelta(days=1)


def seed(db: Db) -> Shop:
    """Products, customers and orders; the same rows (and ids) on every engine and every run."""
    rng = random.Random(1)
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
        for role, email in [
            ("quiet", "quiet@example.com"),  # no orders at all
            ("six", "six@example.com"),  # exactly six orders (R21: full last pages)
            ("twins", "twins@example.com"),  # nine of whose orders share one created_at (R22)
            # equal revenue on TIE_DAY; emails sort the other way round from ids (R28)
            ("tie-1", "tie-zz@example.com"),
            ("tie-2", "tie-mm@example.com"),
            ("tie-3", "tie-aa@example.com"),
        ]:
            shop.named[role] = add_customer(conn, tables, email)
            shop.customers[shop.named[role]] = email
        skus = sorted(shop.products)

        moment = T0
        for n in range(240):
            if n % 7 != 3:  # every 7th order shares the previous order's timestamp
                moment += timedelta(minutes=rng.randint(1, 340))
            customer = ids[0] if n % 4 == 0 else rng.choice(ids)
            lines = [
                (sku, rng.choice([1, 1, 1, 2, 3, 12]), shop.products[sku][1] - rng.choice([0, 0, 50]))
                for sku in rng.sample(skus, rng.randint(1, 3))
            ]
            add_order(conn, tables, shop, customer, moment, lines, rng.choice(["paid", "paid", "shipped", "pending"]))
        assert moment < T0 + timedelta(days=RANDOM_DAYS), (
            f"the suite's random orders run past its period, to {moment} (a grader problem, not yours)"
        )

        hour = timedelta(hours=1)
        add_order(conn, tables, shop, ids[2], CANCELLED_DAY + 10 * hour, [(skus[0], 2, 449)])
        add_order(conn, tables, shop, ids[3], CANCELLED_DAY + 11 * hour, [(skus[7], 5, 1499)], status="cancelled")
        add_order(conn, tables, shop, ids[0], CANCELLED_DAY + 12 * hour, [(skus[1], 1, 599)], status="cancelled")

        add_order(conn, tables, shop, ids[7], EMPTY_DAY + 10 * hour, [])
        add_order(conn, tables, shop, ids[8], EMPTY_DAY + 11 * hour, [(skus[1], 1, 599)])

        tick = timedelta(microseconds=1)
        add_order(conn, tables, shop, ids[10], BOUNDARY_DAY - tick, [(skus[6], 3, 1349)])
        add_order(conn, tables, shop, ids[11], BOUNDARY_DAY, [(skus[2], 1, 749)])
        add_order(conn, tables, shop, ids[12], BOUNDARY_DAY + 12 * hour, [(skus[3], 2, 899)])
        add_order(conn, tables, shop, ids[13], BOUNDARY_DAY + A_DAY, [(skus[7], 9, 1499)])

        # Inserted so that neither the order rows nor the emails give the tie-break by id.
        tie1, tie2, tie3 = shop.named["tie-1"], shop.named["tie-2"], shop.named["tie-3"]
        add_order(conn, tables, shop, ids[14], TIE_DAY + 1 * hour, [(skus[5], 2, 1049)])
        add_order(conn, tables, shop, tie3, TIE_DAY + 2 * hour, [(skus[0], 2, 500)])
        add_order(conn, tables, shop, tie2, TIE_DAY + 3 * hour, [(skus[1], 1, 1000)])
        add_order(conn, tables, shop, tie1, TIE_DAY + 4 * hour, [(skus[2], 1, 400)])
        add_order(conn, tables, shop, tie1, TIE_DAY + 5 * hour, [(skus[3], 1, 600)])
        add_order(conn, tables, shop, ids[15], TIE_DAY + 6 * hour, [(skus[4], 1, 300)])

        for n in range(6):
            add_order(conn, tables, shop, shop.named["six"], TIE_DAY + A_DAY + (n + 1) * hour, [(skus[n], 1, 499)])
        twins = shop.named["twins"]
        for n in range(3):
            add_order(conn, tables, shop, twins, TWINS_AT - (n + 1) * hour, [(skus[n], 1, 499)])
        for n in range(9):  # nine orders in the same microsecond
            add_order(conn, tables, shop, twins, TWINS_AT, [(skus[n % 8], 1 + n, 499)])
    return shop


# --- reference answers ------------------------------------------------------------------------


def _counted(shop: Shop, start: datetime, end: datetime) -> list[dict]:
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
    rows = [
        {
            "customer_id": cid,
            "email": shop.customers[cid],
            "orders": len(orders),
            "revenue_cents": sum(order_total(o) for o in orders),
        }
        for cid, orders in by_customer.items()
    ]
    return sorted(rows, key=lambda r: (-r["revenue_cents"], r["customer_id"]))[:limit]


# --- the suite's own customers table (R36's reference loads into it) --------------------------

reference_metadata = MetaData()
reference_customers = Table(
    "customers",
    reference_metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("city", String(100), nullable=False),
    Column("country", String(2), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

"""place_order: what it writes and returns, all or nothing, clear domain errors (R1, R14-R17)."""

from datetime import UTC, datetime, timedelta

import pytest
from _helpers import ENGINES, add_customer, add_product, as_utc, iso, needs, raises
from sqlalchemy import text

from grader.testing import LearnerError, call, fail

PLACE = "app.orders:place_order"
STOCK = {"DUCK-A": 10, "DUCK-B": 3, "DUCK-C": 1}


def shop(db):
    """One customer; three ducks: 10 of A at 499, 3 of B at 1299, 1 of C at 2500."""
    tables = db.tables()
    with db.engine.begin() as conn:
        customer = add_customer(conn, tables, "buyer@example.com")
        for sku, price, stock in [("DUCK-A", 499, 10), ("DUCK-B", 1299, 3), ("DUCK-C", 2500, 1)]:
            add_product(conn, tables, sku, price, stock)
    return customer


def stock(db) -> dict:
    return dict(db.rows("SELECT sku, stock FROM products"))


def nothing_written(db, why: str):
    assert stock(db) == STOCK, f"{why}, but the stock changed: {stock(db)}; expected {STOCK}"
    lines = db.scalar("SELECT count(*) FROM order_items")
    assert lines == 0, f"{why}, but {lines} order line(s) were written; expected none"
    orders = db.scalar("SELECT count(*) FROM orders")
    assert orders == 0, f"{why}, but {orders} order row(s) were written (half an order); expected none"


@pytest.mark.parametrize("kind", ENGINES)
def test_an_order_is_written_and_stock_decremented(kind, schema_db, learner):
    needs(learner, PLACE)
    db = schema_db(kind)
    customer = shop(db)
    items = [{"sku": "DUCK-B", "quantity": 2}, {"sku": "DUCK-A", "quantity": 3}]
    call(learner, PLACE, db.url, customer, items, created_at="2025-06-01T10:00:00+00:00")
    rows = db.rows(
        "SELECT o.customer_id, o.status, o.total_cents, p.sku, i.quantity, i.unit_price_cents "
        "FROM orders o JOIN order_items i ON i.order_id = o.id JOIN products p ON p.id = i.product_id "
        "ORDER BY p.sku"
    )
    want = [(customer, "pending", 4095, "DUCK-A", 3, 499), (customer, "pending", 4095, "DUCK-B", 2, 1299)]
    assert rows == want, (
        f"place_order wrote (customer, status, total_cents, sku, quantity, unit_price_cents) {rows}; expected {want}"
    )
    left = stock(db)
    want_left = {"DUCK-A": 7, "DUCK-B": 1, "DUCK-C": 1}
    assert left == want_left, (
        f"place_order of 3 DUCK-A and 2 DUCK-B: the stock afterwards should be {want_left}, got {left} (R14)"
    )
    created = as_utc(db.scalar("SELECT created_at FROM orders"))
    assert created == datetime(2025, 6, 1, 10, tzinfo=UTC), (
        f"orders.created_at is {created}; expected 2025-06-01 10:00 UTC"
    )

    before = datetime.now(UTC)
    call(learner, PLACE, db.url, customer, [{"sku": "DUCK-C", "quantity": 1}])
    after = datetime.now(UTC)
    created = as_utc(db.scalar("SELECT max(created_at) FROM orders"))
    assert before - timedelta(seconds=2) <= created <= after + timedelta(seconds=2), (
        f"an order placed without created_at was stored at {created}; expected now ({before:%H:%M:%S} UTC)"
    )


@pytest.mark.parametrize("kind", ENGINES)
def test_place_order_returns_the_order_it_wrote(kind, schema_db, learner):
    needs(learner, PLACE)
    db = schema_db(kind)
    customer = shop(db)
    items = [{"sku": "DUCK-C", "quantity": 1}, {"sku": "DUCK-A", "quantity": 3}, {"sku": "DUCK-B", "quantity": 2}]
    order = call(learner, PLACE, db.url, customer, items, created_at="2025-06-01T10:00:00+00:00")
    if not isinstance(order, dict) or set(order) != {
        "order_id",
        "customer_id",
        "status",
        "created_at",
        "total_cents",
        "items",
    }:
        fail(
            f"place_order returned {str(order)[:300]}; expected a dict with exactly the keys of README, 'Placing an order'"
        )
    order_id = db.scalar("SELECT id FROM orders")
    got = {**order, "created_at": as_utc(order["created_at"])}
    want = {
        "order_id": order_id,
        "customer_id": customer,
        "status": "pending",
        "created_at": datetime(2025, 6, 1, 10, tzinfo=UTC),
        "total_cents": 2500 + 3 * 499 + 2 * 1299,
        "items": [
            {"sku": "DUCK-A", "quantity": 3, "unit_price_cents": 499},
            {"sku": "DUCK-B", "quantity": 2, "unit_price_cents": 1299},
            {"sku": "DUCK-C", "quantity": 1, "unit_price_cents": 2500},
        ],
    }
    assert got == want, f"place_order returned {order}; expected {want} (items sorted by sku)"


@pytest.mark.parametrize("kind", ENGINES)
def test_place_order_timestamps_are_utc_with_microseconds(kind, schema_db, learner):
    needs(learner, PLACE)
    db = schema_db(kind)
    customer = shop(db)
    given = {
        "2025-06-01T12:00:00+02:00": "2025-06-01T10:00:00.000000+00:00",
        "2025-06-02T10:00:00Z": "2025-06-02T10:00:00.000000+00:00",
        "2025-06-03T10:00:00.250000": "2025-06-03T10:00:00.250000+00:00",
    }
    for given_at, want in given.items():
        order = call(learner, PLACE, db.url, customer, [{"sku": "DUCK-A", "quantity": 1}], created_at=given_at)
        assert order["created_at"] == want, (
            f"place_order(..., created_at={given_at!r}) returned created_at {order['created_at']!r}; expected {want!r} "
            "(UTC, microseconds, +00:00: app.times.iso)"
        )
        stored = as_utc(db.scalar("SELECT created_at FROM orders WHERE id = :id", id=order["order_id"]))
        assert iso(stored) == want, f"created_at={given_at!r} was stored as {stored}; expected {want}"


@pytest.mark.parametrize("kind", ENGINES)
def test_an_unknown_product_is_an_error(kind, schema_db, learner):
    needs(learner, PLACE)
    db = schema_db(kind)
    customer = shop(db)
    for items in (
        [{"sku": "DUCK-NOPE", "quantity": 1}],
        [{"sku": "DUCK-A", "quantity": 1}, {"sku": "DUCK-NOPE", "quantity": 1}],
    ):
        raises(learner, PLACE, "UnknownProduct", db.url, customer, items)


@pytest.mark.parametrize("kind", ENGINES)
def test_insufficient_stock_is_an_error(kind, schema_db, learner):
    needs(learner, PLACE)
    db = schema_db(kind)
    customer = shop(db)
    for items in (
        [{"sku": "DUCK-B", "quantity": 4}],
        [{"sku": "DUCK-C", "quantity": 2}, {"sku": "DUCK-A", "quantity": 2}],
        [{"sku": "DUCK-A", "quantity": 2}, {"sku": "DUCK-C", "quantity": 2}],
    ):
        raises(learner, PLACE, "InsufficientStock", db.url, customer, items)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE products SET stock = 1"))
    call(learner, PLACE, db.url, customer, [{"sku": "DUCK-C", "quantity": 1}])
    raises(learner, PLACE, "InsufficientStock", db.url, customer, [{"sku": "DUCK-C", "quantity": 1}])


@pytest.mark.parametrize("kind", ENGINES)
def test_bad_customers_and_items_are_errors(kind, schema_db, learner):
    needs(learner, PLACE)
    db = schema_db(kind)
    customer = shop(db)
    raises(learner, PLACE, "UnknownCustomer", db.url, customer + 1000, [{"sku": "DUCK-A", "quantity": 1}])
    for items in (
        [],
        [{"sku": "DUCK-A", "quantity": 0}],
        [{"sku": "DUCK-A", "quantity": -2}],
        [{"sku": "DUCK-A", "quantity": "2"}],
        [{"sku": "DUCK-A", "quantity": 1.5}],
        [{"sku": "DUCK-A", "quantity": True}],
        [{"sku": "DUCK-A", "quantity": 1}, {"sku": "DUCK-A", "quantity": 1}],
    ):
        raises(learner, PLACE, "ValueError", db.url, customer, items)


@pytest.mark.parametrize("kind", ENGINES)
def test_a_failed_order_leaves_nothing(kind, schema_db, learner):
    needs(learner, PLACE)
    db = schema_db(kind)
    customer = shop(db)
    a, b, c = ({"sku": f"DUCK-{x}", "quantity": q} for x, q in (("A", 2), ("B", 1), ("C", 1)))
    failures = [
        ("an unknown sku listed second", [a, {"sku": "DUCK-NOPE", "quantity": 1}], {}),
        ("too few DUCK-C for the second item", [a, {"sku": "DUCK-C", "quantity": 2}], {}),
        ("too few DUCK-B for the third item", [a, c, {"sku": "DUCK-B", "quantity": 4}], {}),
        *[(f"fail_after_items={n}", [a, b, c], {"fail_after_items": n}) for n in (0, 1, 2, 3, 7)],
    ]
    for why, items, kwargs in failures:
        try:
            value = call(learner, PLACE, db.url, customer, items, **kwargs)
        except LearnerError:
            nothing_written(db, f"place_order failed ({why})")
            continue
        fail(f"place_order with {why} returned {str(value)[:200]}; expected it to raise (README, 'Placing an order')")
    call(learner, PLACE, db.url, customer, [a, b, c])  # and nothing was left locked
    left = stock(db)
    want_left = {"DUCK-A": 8, "DUCK-B": 2, "DUCK-C": 0}
    assert left == want_left, (
        f"after the failed orders, place_order of 2 DUCK-A, 1 DUCK-B and 1 DUCK-C: the stock should be {want_left}, "
        f"got {left} - did a failed order leave a row locked or the stock changed? (R17)"
    )

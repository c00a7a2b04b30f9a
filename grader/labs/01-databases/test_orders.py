"""place_order: all items or none, stock decremented, clear domain errors."""

import pytest

from _helpers import ENGINES, add_customer, add_product, as_utc, call
from grader._sandbox.learner import LearnerError

PLACE = "app.orders:place_order"


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
    assert stock(db) == {"DUCK-A": 10, "DUCK-B": 3, "DUCK-C": 1}, f"{why}, but stock changed: {stock(db)}"
    assert db.scalar("SELECT count(*) FROM order_items") == 0, f"{why}, but order lines were written"
    assert db.scalar("SELECT count(*) FROM orders") == 0, f"{why}, but an order row was written (half an order)"


def raises(learner, error: str, *args, **kwargs) -> LearnerError:
    try:
        value = call(learner, PLACE, *args, **kwargs)
    except LearnerError as exc:
        assert exc.type == error, f"place_order{args!r} raised {exc.type} ({exc.message}); expected {error}"
        return exc
    pytest.fail(f"place_order{args!r} returned {value!r}; expected it to raise {error}")


@pytest.mark.parametrize("kind", ENGINES)
def test_an_order_is_written_and_stock_decremented(kind, schema_db, learner):
    db = schema_db(kind)
    customer = shop(db)
    items = [{"sku": "DUCK-B", "quantity": 2}, {"sku": "DUCK-A", "quantity": 3}]
    order = call(learner, PLACE, db.url, customer, items, created_at="2025-06-01T10:00:00+00:00")
    assert set(order) >= {"order_id", "customer_id", "status", "created_at", "total_cents", "items"}, order
    assert order["customer_id"] == customer and order["status"] == "pending", order
    assert as_utc(order["created_at"]).isoformat() == "2025-06-01T10:00:00+00:00", order["created_at"]
    assert order["total_cents"] == 2 * 1299 + 3 * 499, f"total_cents {order['total_cents']}, expected {2*1299+3*499}"
    assert sorted((i["sku"], i["quantity"], i["unit_price_cents"]) for i in order["items"]) == [
        ("DUCK-A", 3, 499), ("DUCK-B", 2, 1299)], order["items"]
    assert stock(db) == {"DUCK-A": 7, "DUCK-B": 1, "DUCK-C": 1}, f"stock after the order: {stock(db)}"
    rows = db.rows("SELECT o.id, o.customer_id, o.status, o.total_cents, p.sku, i.quantity, i.unit_price_cents "
                   "FROM orders o JOIN order_items i ON i.order_id = o.id JOIN products p ON p.id = i.product_id "
                   "ORDER BY p.sku")
    assert rows == [(order["order_id"], customer, "pending", 4095, "DUCK-A", 3, 499),
                    (order["order_id"], customer, "pending", 4095, "DUCK-B", 2, 1299)], f"rows written: {rows}"
    # the price at order time is kept when the price changes later
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE products SET price_cents = 9999")
    assert db.scalar("SELECT sum(unit_price_cents) FROM order_items") == 499 + 1299


@pytest.mark.parametrize("kind", ENGINES)
def test_unknown_product_writes_nothing(kind, schema_db, learner):
    db = schema_db(kind)
    customer = shop(db)
    items = [{"sku": "DUCK-A", "quantity": 1}, {"sku": "DUCK-NOPE", "quantity": 1}]
    raises(learner, "UnknownProduct", db.url, customer, items)
    nothing_written(db, "an order naming an unknown sku raised")


@pytest.mark.parametrize("kind", ENGINES)
def test_insufficient_stock_writes_nothing(kind, schema_db, learner):
    db = schema_db(kind)
    customer = shop(db)
    for items in ([{"sku": "DUCK-A", "quantity": 2}, {"sku": "DUCK-C", "quantity": 2}],
                  [{"sku": "DUCK-C", "quantity": 2}, {"sku": "DUCK-A", "quantity": 2}],
                  [{"sku": "DUCK-B", "quantity": 4}]):
        raises(learner, "InsufficientStock", db.url, customer, items)
        nothing_written(db, f"place_order({items}) raised InsufficientStock")
    call(learner, PLACE, db.url, customer, [{"sku": "DUCK-C", "quantity": 1}])
    assert stock(db)["DUCK-C"] == 0, "buying the last DUCK-C must succeed and leave 0"


@pytest.mark.parametrize("kind", ENGINES)
def test_a_failure_between_writes_leaves_nothing(kind, schema_db, learner):
    db = schema_db(kind)
    customer = shop(db)
    items = [{"sku": "DUCK-A", "quantity": 2}, {"sku": "DUCK-B", "quantity": 1}, {"sku": "DUCK-C", "quantity": 1}]
    for after in (0, 1, 2, 3):
        raises(learner, "InjectedFailure", db.url, customer, items, fail_after_items=after)
        nothing_written(db, f"place_order(..., fail_after_items={after}) crashed mid-order")
    order = call(learner, PLACE, db.url, customer, items)  # and nothing was left locked
    assert stock(db) == {"DUCK-A": 8, "DUCK-B": 2, "DUCK-C": 0}, f"after a real order: {stock(db)} ({order})"


@pytest.mark.parametrize("kind", ENGINES)
def test_bad_customers_and_items_are_rejected(kind, schema_db, learner):
    db = schema_db(kind)
    customer = shop(db)
    raises(learner, "UnknownCustomer", db.url, customer + 1000, [{"sku": "DUCK-A", "quantity": 1}])
    for items in ([], [{"sku": "DUCK-A", "quantity": 0}], [{"sku": "DUCK-A", "quantity": -2}],
                  [{"sku": "DUCK-A", "quantity": "2"}], [{"sku": "DUCK-A", "quantity": 1.5}],
                  [{"sku": "DUCK-A", "quantity": 1}, {"sku": "DUCK-A", "quantity": 1}]):
        raises(learner, "ValueError", db.url, customer, items)
    nothing_written(db, "rejected orders")

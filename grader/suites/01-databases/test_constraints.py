"""The database itself rejects bad rows: inserted here directly, past any application code (R2-R8)."""

import pytest
from _helpers import ENGINES, T0, add_customer, add_product
from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError

from grader.testing import fail


def rejected(db, table: str, row: dict, why: str):
    tables = db.tables()
    if table not in tables.tables:
        fail(
            f"{db.kind}: the schema your app/models.py describes has no table {table!r}; expected the tables of README "
            f"'The schema', got {sorted(tables.tables)}"
        )
    try:
        with db.engine.begin() as conn:
            conn.execute(insert(tables.tables[table]), row)
    except IntegrityError:
        return
    fail(
        f"{db.kind}: the database accepted a row in {table} with {why}; expected it to refuse it: add the constraint to your model"
    )


def refused(db, sql: str, why: str, **params):
    try:
        with db.engine.begin() as conn:
            conn.execute(text(sql), params)
    except IntegrityError:
        return
    fail(f"{db.kind}: {why} succeeded; expected the database to refuse it")


def setup(db):
    tables = db.tables()
    with db.engine.begin() as conn:
        customer = add_customer(conn, tables, "first@example.com")
        product = add_product(conn, tables, "DUCK-001", 499, 5)
        order = conn.execute(
            insert(tables.tables["orders"]).returning(tables.tables["orders"].c.id),
            {"customer_id": customer, "status": "paid", "created_at": T0, "total_cents": 499},
        ).scalar_one()
        conn.execute(
            insert(tables.tables["order_items"]),
            {"order_id": order, "product_id": product, "quantity": 1, "unit_price_cents": 499},
        )
    return customer, product, order


def customer_row(**changes):
    return {"email": "x@example.com", "name": "X", "city": "C", "country": "DE", "created_at": T0, **changes}


def order_row(customer, **changes):
    return {"customer_id": customer, "status": "paid", "created_at": T0, "total_cents": 0, **changes}


@pytest.mark.parametrize("kind", ENGINES)
def test_required_columns_are_not_null(kind, schema_db):
    db = schema_db(kind)
    customer, product, _ = setup(db)
    rejected(db, "customers", customer_row(email=None), "no email (NULL)")
    rejected(db, "customers", customer_row(name=None), "no name (NULL)")
    rejected(db, "products", {"sku": "DUCK-002", "name": None, "price_cents": 1, "stock": 1}, "no name (NULL)")
    rejected(db, "orders", order_row(None), "no customer_id (NULL)")
    rejected(db, "orders", order_row(customer, created_at=None), "no created_at (NULL)")
    rejected(
        db,
        "order_items",
        {"order_id": None, "product_id": product, "quantity": 1, "unit_price_cents": 1},
        "no order_id (NULL)",
    )


@pytest.mark.parametrize("kind", ENGINES)
def test_emails_skus_and_order_lines_are_unique(kind, schema_db):
    db = schema_db(kind)
    _, product, order = setup(db)
    rejected(db, "customers", customer_row(email="first@example.com"), "an email another customer has")
    rejected(db, "products", {"sku": "DUCK-001", "name": "Again", "price_cents": 1, "stock": 1}, "a duplicate sku")
    rejected(
        db,
        "order_items",
        {"order_id": order, "product_id": product, "quantity": 2, "unit_price_cents": 499},
        "a second line for the same product in the same order",
    )


@pytest.mark.parametrize("kind", ENGINES)
def test_stock_and_prices_never_go_negative(kind, schema_db):
    db = schema_db(kind)
    _, product, _order = setup(db)
    rejected(db, "products", {"sku": "DUCK-009", "name": "N", "price_cents": 1, "stock": -1}, "stock -1")
    rejected(db, "products", {"sku": "DUCK-010", "name": "N", "price_cents": -1, "stock": 1}, "price_cents -1")
    refused(
        db,
        "UPDATE products SET stock = stock - 6 WHERE id = :id",
        "UPDATE products SET stock = stock - 6 with 5 in stock",
        id=product,
    )


@pytest.mark.parametrize("kind", ENGINES)
def test_quantities_and_statuses_are_checked(kind, schema_db):
    db = schema_db(kind)
    customer, _, order = setup(db)
    tables = db.tables()
    with db.engine.begin() as conn:
        other = add_product(conn, tables, "DUCK-002", 699, 5)
    for quantity in (0, -3):
        rejected(
            db,
            "order_items",
            {"order_id": order, "product_id": other, "quantity": quantity, "unit_price_cents": 699},
            f"quantity {quantity}",
        )
    rejected(
        db,
        "order_items",
        {"order_id": order, "product_id": other, "quantity": 1, "unit_price_cents": -1},
        "unit_price_cents -1",
    )
    rejected(db, "orders", order_row(customer, status="lost-in-the-post"), "status 'lost-in-the-post'")
    for status in ("pending", "paid", "shipped", "cancelled"):
        with db.engine.begin() as conn:
            conn.execute(insert(tables.tables["orders"]), order_row(customer, status=status))


@pytest.mark.parametrize("kind", ENGINES)
def test_foreign_keys_are_enforced(kind, schema_db):
    db = schema_db(kind)
    customer, product, order = setup(db)
    rejected(db, "orders", order_row(customer + 1000), "a customer_id that does not exist")
    rejected(
        db,
        "order_items",
        {"order_id": order + 1000, "product_id": product, "quantity": 1, "unit_price_cents": 1},
        "an order_id that does not exist",
    )
    rejected(
        db,
        "order_items",
        {"order_id": order, "product_id": product + 1000, "quantity": 1, "unit_price_cents": 1},
        "a product_id that does not exist",
    )
    refused(db, "DELETE FROM customers WHERE id = :id", "deleting a customer who has orders", id=customer)


@pytest.mark.parametrize("kind", ENGINES)
def test_deleting_an_order_deletes_its_lines(kind, schema_db):
    db = schema_db(kind)
    _, _, order = setup(db)
    try:
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM orders WHERE id = :id"), {"id": order})
    except IntegrityError as exc:
        fail(
            f"{db.kind}: deleting an order with a line failed ({str(exc.orig)[:120]}); expected its lines to go with it: ondelete='CASCADE' on order_items.order_id"
        )
    lines = db.scalar("SELECT count(*) FROM order_items WHERE order_id = :id", id=order)
    assert lines == 0, (
        f"{db.kind}: after deleting an order, {lines} of its lines are left; expected 0 (ON DELETE CASCADE)"
    )


@pytest.mark.parametrize("kind", ENGINES)
def test_an_order_without_a_total_is_refused(kind, schema_db):
    db = schema_db(kind)
    customer, _, _ = setup(db)
    refused(
        db,
        "INSERT INTO orders (customer_id, status, created_at) VALUES (:c, 'paid', :t)",
        "inserting an order without total_cents (no default may fill it in)",
        c=customer,
        t=T0,
    )

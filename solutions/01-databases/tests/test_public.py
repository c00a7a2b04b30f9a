"""Public tests for Lab 01: the basics, in seconds, on SQLite. Run them with `make test LAB=01-databases`.

The graded (hidden) suite asks more, on SQLite and PostgreSQL: concurrent buyers, crashes
between writes, pages while orders arrive, query counts, query plans, migrations, 100,000 rows.
"""

import pytest
from app import bulk, db, history, migrate, orders, reports
from app.errors import InsufficientStock
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError


@pytest.fixture
def url(tmp_path):
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    db.create_schema(url)
    with db.engine_for(url).begin() as conn:
        conn.execute(
            text(
                "INSERT INTO customers (email, name, city, country, created_at) "
                "VALUES ('ada@example.com', 'Ada', 'Ducksburg', 'DE', '2025-01-01 00:00:00.000000')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO products (sku, name, price_cents, stock) "
                "VALUES ('DUCK-001', 'Classic Yellow Duck', 499, 5), ('DUCK-002', 'Pirate Duck', 899, 1)"
            )
        )
    return url


def stock(url):
    with db.engine_for(url).connect() as conn:
        return dict(conn.execute(text("SELECT sku, stock FROM products")).all())


def test_the_database_refuses_negative_stock(url):
    with pytest.raises(IntegrityError), db.engine_for(url).begin() as conn:
        conn.execute(text("UPDATE products SET stock = -1 WHERE sku = 'DUCK-001'"))
        pytest.fail("stock -1 was accepted: add CheckConstraint('stock >= 0') to Product (README, 'The schema')")


def test_place_order_decrements_stock(url):
    order = orders.place_order(url, 1, [{"sku": "DUCK-001", "quantity": 2}], created_at="2025-05-01T12:00:00Z")
    assert order["total_cents"] == 998, f"2 x 499 = 998 cents, got {order}"
    assert stock(url) == {"DUCK-001": 3, "DUCK-002": 1}, "place_order must decrement the stock of what it sold"


def test_insufficient_stock_writes_nothing(url):
    with pytest.raises(InsufficientStock):
        orders.place_order(url, 1, [{"sku": "DUCK-001", "quantity": 1}, {"sku": "DUCK-002", "quantity": 2}])
    assert stock(url) == {"DUCK-001": 5, "DUCK-002": 1}, (
        "the order failed on its second item, but the first item's stock changed: one transaction per order"
    )


def test_history_lists_the_newest_order_first(url):
    for day in ("2025-05-01", "2025-05-03", "2025-05-02"):
        orders.place_order(url, 1, [{"sku": "DUCK-001", "quantity": 1}], created_at=f"{day}T12:00:00Z")
    page = history.order_history(url, 1, limit=2)
    assert [o["created_at"][:10] for o in page["orders"]] == ["2025-05-03", "2025-05-02"], page
    assert page["next"] is not None, "a third order exists: 'next' is a cursor for the next page"
    rest = history.order_history(url, 1, limit=2, after=page["next"])
    assert [o["created_at"][:10] for o in rest["orders"]] == ["2025-05-01"] and rest["next"] is None, rest


def test_revenue_of_a_period(url):
    orders.place_order(url, 1, [{"sku": "DUCK-002", "quantity": 1}], created_at="2025-05-01T12:00:00Z")
    assert reports.revenue(url, "2025-05-01T00:00:00Z", "2025-05-02T00:00:00Z") == {"orders": 1, "revenue_cents": 899}
    assert reports.revenue(url, "2025-06-01T00:00:00Z", "2025-07-01T00:00:00Z") == {"orders": 0, "revenue_cents": 0}


def test_migrations_build_the_schema_from_empty(tmp_path):
    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    assert migrate.upgrade(url) == "0002", "migrations/versions/ should hold revisions 0001 and 0002"
    with db.engine_for(url).connect() as conn:
        tables = {row[0] for row in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))}
    assert {"customers", "products", "orders", "order_items"} <= tables, tables


def test_bulk_load_of_a_small_file(tmp_path, url):
    path = tmp_path / "customers.csv"
    path.write_text(
        "email,name,city,country,created_at\n"
        "bo@example.com,Bo,Ducksburg,SE,2025-02-01T09:00:00+00:00\n"
        "cy@example.com,Cy,Quackton,FR,2025-02-02T09:00:00+00:00\n"
    )
    assert bulk.load_customers(url, str(path)) == 2

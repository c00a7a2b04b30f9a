"""order_history: newest first, keyset pages, a bounded number of queries, an index behind it."""

from datetime import timedelta

import pytest

from _helpers import ENGINES, T0, add_order, as_utc, call, reference_history, seed
from grader._sandbox.learner import LearnerError

HISTORY = "app.history:order_history"


def simplified(orders: list[dict]) -> list[tuple]:
    return [(o["order_id"], as_utc(o["created_at"]), o["status"],
             sorted((i["sku"], i["quantity"], i["unit_price_cents"]) for i in o["items"])) for o in orders]


def expected(orders: list[dict]) -> list[tuple]:
    return [(o["id"], o["created_at"], o["status"],
             sorted((i["sku"], i["quantity"], i["unit_price_cents"]) for i in o["items"])) for o in orders]


def all_pages(learner, db, customer: int, limit: int, between=None) -> list[dict]:
    seen, cursor = [], None
    for page_number in range(200):
        page = call(learner, HISTORY, db.url, customer, limit=limit, after=cursor)
        assert set(page) == {"orders", "next"}, f"a page has exactly the keys 'orders' and 'next': {sorted(page)}"
        assert len(page["orders"]) <= limit, f"a page of limit={limit} had {len(page['orders'])} orders"
        seen += page["orders"]
        cursor = page["next"]
        if cursor is None:
            return seen
        if between:
            between(page_number)
    pytest.fail("more than 200 pages: does 'next' ever become null?")


@pytest.mark.parametrize("kind", ENGINES)
def test_history_is_newest_first_with_items(kind, schema_db, learner):
    db = schema_db(kind)
    shop = seed(db)
    customer = min(shop.customers)
    want = reference_history(shop, customer)
    page = call(learner, HISTORY, db.url, customer, limit=7)
    assert simplified(page["orders"]) == expected(want[:7]), "the first page: the 7 newest orders with their items"
    totals = [o["total_cents"] for o in page["orders"]]
    assert totals == [sum(i["quantity"] * i["unit_price_cents"] for i in o["items"]) for o in want[:7]], totals
    assert page["next"] is not None, f"customer {customer} has {len(want)} orders: there is a next page"
    quiet = max(shop.customers) + 1
    assert call(learner, HISTORY, db.url, quiet, limit=5) == {"orders": [], "next": None}, "no orders: an empty page"


@pytest.mark.parametrize("kind", ENGINES)
def test_pages_have_no_duplicates_or_gaps_when_orders_arrive(kind, schema_db, learner):
    db = schema_db(kind)
    shop = seed(db)
    customer = min(shop.customers)
    before = reference_history(shop, customer)
    tables = db.tables()
    newest = max(o["created_at"] for o in shop.orders)

    def new_orders_arrive(page_number: int):
        with db.engine.begin() as conn:
            for n in range(3):
                add_order(conn, tables, shop, customer, newest + timedelta(minutes=10 * page_number + n + 1),
                          [("DUCK-001", 1, 449)])

    seen = all_pages(learner, db, customer, limit=4, between=new_orders_arrive)
    ids = [o["order_id"] for o in seen]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, (f"orders {duplicates[:5]} came twice: new orders arrived between page requests and "
                            "shifted an OFFSET - page by position (created_at, id) instead")
    missing = [o["id"] for o in before if o["id"] not in ids]
    assert not missing, f"orders {missing[:5]} never appeared on any page (a gap)"
    assert simplified([o for o in seen if o["order_id"] in {b['id'] for b in before}]) == expected(before), (
        "walking all pages must list the customer's orders newest first, ties broken by id (newest id first)")


@pytest.mark.parametrize("kind", ENGINES)
def test_orders_sharing_a_timestamp_are_neither_skipped_nor_repeated(kind, schema_db, learner):
    db = schema_db(kind)
    shop = seed(db, orders=12)
    customer = min(shop.customers)
    tables = db.tables()
    with db.engine.begin() as conn:
        for n in range(9):  # nine orders in the same microsecond
            add_order(conn, tables, shop, customer, T0 + timedelta(days=200), [("DUCK-002", 1, 599)])
    want = reference_history(shop, customer)
    for limit in (2, 4, 5):
        seen = all_pages(learner, db, customer, limit=limit)
        assert [o["order_id"] for o in seen] == [o["id"] for o in want], (
            f"limit={limit}: with equal created_at, order by (created_at, id) and page after (created_at, id)")


def test_history_needs_a_bounded_number_of_queries(schema_db, learner):
    db = schema_db("sqlite")
    shop = seed(db)
    customer = min(shop.customers)
    counts = {}
    for limit in (3, 40):
        measured = call(learner, "app.db:measured", HISTORY, db.url, customer, limit=limit)
        assert len(measured["result"]["orders"]) == limit, measured["result"]
        counts[limit] = measured["statements"]
    assert counts[40] <= 4 and counts[40] <= counts[3], (
        f"order_history sent {counts[3]} SQL statements for 3 orders and {counts[40]} for 40: the count must not "
        "grow with the page (at most 4) - load the items eagerly (selectinload) instead of one query per order (N+1)")


def plan(db, sql: str) -> str:
    with db.engine.connect() as conn:
        if db.kind == "sqlite":
            return "\n".join(str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):  # tiny tables: show what the
            conn.exec_driver_sql(f"SET {setting} = off")  # planner *could* do with the indexes it has
        return "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {sql}"))


@pytest.mark.parametrize("kind", ENGINES)
def test_the_history_lookup_uses_an_index(kind, schema_db):
    db = schema_db(kind)
    seed(db, orders=40)
    customer = db.scalar("SELECT min(id) FROM customers")
    orders = plan(db, f"SELECT id FROM orders WHERE customer_id = {customer} ORDER BY created_at DESC, id DESC LIMIT 10")
    items = plan(db, "SELECT * FROM order_items WHERE order_id IN (1, 2, 3)")
    if db.kind == "sqlite":
        assert "INDEX" in orders and "TEMP B-TREE" not in orders, (
            f"a customer's newest orders: the plan scans or sorts\n{orders}\n"
            "add an index on orders (customer_id, created_at, id)")
        assert "INDEX" in items, f"an order's items: the plan scans the table\n{items}"
    else:
        assert "Index" in orders and "Sort" not in orders.replace("Incremental Sort", ""), (
            f"a customer's newest orders: the plan scans or sorts\n{orders}\n"
            "add an index on orders (customer_id, created_at, id)")
        assert "Index" in items, f"an order's items: the plan scans the table\n{items}"


def test_bad_limits_and_cursors_are_rejected(schema_db, learner):
    db = schema_db("sqlite")
    shop = seed(db, orders=20)
    customer = min(shop.customers)
    for kwargs in ({"limit": 0}, {"limit": 101}, {"limit": "5"}, {"after": "not-a-cursor"}, {"after": "'; DROP TABLE orders;--"}):
        try:
            value = call(learner, HISTORY, db.url, customer, **kwargs)
        except LearnerError as exc:
            assert exc.type == "ValueError", f"order_history(..., {kwargs}) raised {exc.type}; expected ValueError"
            continue
        pytest.fail(f"order_history(..., {kwargs}) returned {str(value)[:200]}; expected ValueError")
    assert db.scalar("SELECT count(*) FROM orders") == len(shop.orders)

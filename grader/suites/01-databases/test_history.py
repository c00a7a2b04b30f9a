"""order_history: newest first, keyset pages, a bounded number of queries, an index behind it (R1, R9, R20-R25)."""

import base64
from datetime import timedelta

import pytest
from _helpers import ENGINES, add_order, as_utc, iso, needs

from grader.testing import LearnerError, call, fail

HISTORY = "app.history:order_history"
ORDER_KEYS = {"order_id", "created_at", "status", "total_cents", "items"}


def page_of(learner, db, customer: int, **kwargs) -> dict:
    page = call(learner, HISTORY, db.url, customer, **kwargs)
    if not isinstance(page, dict) or set(page) != {"orders", "next"} or not isinstance(page["orders"], list):
        fail(
            f"order_history returned {str(page)[:300]}; expected a dict with exactly the keys 'orders' (a list) and 'next'"
        )
    return page


def all_pages(learner, db, customer: int, limit: int, between=None) -> list[dict]:
    """Follow the cursors to the end. A last page whose 'next' is not None is tolerated here (an
    empty page after it ends the walk): R21 has its own test."""
    seen, cursor = [], None
    for page_number in range(300):
        page = page_of(learner, db, customer, limit=limit, after=cursor)
        seen += page["orders"]
        cursor = page["next"]
        if cursor is None or not page["orders"]:
            return seen
        if between:
            between(page_number)
    fail("order_history: after 300 pages 'next' was still not None")


def ids_once(seen: list[dict], want: list[int], what: str) -> None:
    ids = [o.get("order_id") for o in seen]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    assert not twice, f"{what}: orders {twice[:5]} came on two pages; expected each order once"
    missing = [i for i in want if i not in ids]
    assert not missing, f"{what}: orders {missing[:5]} never came on any page (a gap); expected each order once"


@pytest.mark.parametrize("kind", ENGINES)
def test_history_is_newest_first_with_items(kind, seeded_db, learner):
    needs(learner, HISTORY)
    db, shop = seeded_db(kind)
    customer = min(shop.customers)
    want = shop.history(customer)[:7]
    page = page_of(learner, db, customer, limit=7)
    for order in page["orders"]:
        if not isinstance(order, dict) or set(order) != ORDER_KEYS:
            fail(
                f"an order on the page is {str(order)[:200]}; expected a dict with exactly the keys {sorted(ORDER_KEYS)}"
            )
    got = [{**o, "created_at": as_utc(o["created_at"])} for o in page["orders"]]
    expected = [
        {
            "order_id": o["id"],
            "created_at": o["created_at"],
            "status": o["status"],
            "total_cents": sum(i["quantity"] * i["unit_price_cents"] for i in o["items"]),
            "items": o["items"],
        }
        for o in want
    ]
    assert got == expected, (
        f"the first page (limit=7) of customer {customer}:\n{got}\nexpected the 7 newest orders (created_at, then id, "
        f"descending), each with its items sorted by sku:\n{expected}"
    )
    quiet = call(learner, HISTORY, db.url, shop.named["quiet"], limit=5)
    assert quiet == {"orders": [], "next": None}, f"a customer without orders got {quiet}; expected an empty page"


@pytest.mark.parametrize("kind", ENGINES)
def test_history_timestamps_are_utc_with_microseconds(kind, seeded_db, learner):
    needs(learner, HISTORY)
    db, shop = seeded_db(kind)
    customer = shop.named["twins"]
    page = page_of(learner, db, customer, limit=5)
    got = [o.get("created_at") for o in page["orders"]]
    want = [iso(o["created_at"]) for o in shop.history(customer)[:5]]
    assert got == want, (
        f"order_history returned created_at {got}; expected {want} (UTC, microseconds, +00:00: app.times.iso)"
    )


@pytest.mark.parametrize("kind", ENGINES)
def test_next_is_none_exactly_on_the_last_page(kind, seeded_db, learner):
    needs(learner, HISTORY)
    db, shop = seeded_db(kind)
    six = shop.named["six"]  # exactly six orders
    for limit, sizes in ((3, [3, 3]), (4, [4, 2]), (6, [6]), (10, [6])):
        cursor = None
        for number, size in enumerate(sizes, start=1):
            page = page_of(learner, db, six, limit=limit, after=cursor)
            last = number == len(sizes)
            shape = f"page {number} of {len(sizes)} with limit={limit} for a customer with 6 orders"
            assert len(page["orders"]) == size, f"{shape} had {len(page['orders'])} orders; expected {size}"
            cursor = page["next"]
            if last:
                assert cursor is None, f"{shape} (the last one) has next={cursor!r}; expected None"
            else:
                assert isinstance(cursor, str) and cursor, f"{shape} has next={cursor!r}; expected a cursor string"


@pytest.mark.parametrize("kind", ENGINES)
def test_pages_have_no_duplicates_or_gaps_when_orders_arrive(kind, seeded_db, learner):
    needs(learner, HISTORY)
    db, shop = seeded_db(kind)
    customer = min(shop.customers)
    before = [o["id"] for o in shop.history(customer)]
    tables = db.tables()
    newest = max(o["created_at"] for o in shop.orders)

    def new_orders_arrive(page_number: int):
        with db.engine.begin() as conn:
            for n in range(3):
                arrived = newest + timedelta(minutes=10 * page_number + n + 1)
                add_order(conn, tables, shop, customer, arrived, [("DUCK-001", 1, 449)])

    seen = all_pages(learner, db, customer, limit=4, between=new_orders_arrive)
    ids_once(seen, before, "3 new orders arrived after every page (limit=4)")


@pytest.mark.parametrize("kind", ENGINES)
def test_orders_sharing_a_timestamp_are_neither_skipped_nor_repeated(kind, seeded_db, learner):
    needs(learner, HISTORY)
    db, shop = seeded_db(kind)
    twins = shop.named["twins"]  # nine of their twelve orders share one created_at
    want = [o["id"] for o in shop.history(twins)]
    for limit in (2, 4, 5):
        seen = all_pages(learner, db, twins, limit=limit)
        ids_once(seen, want, f"9 orders in the same microsecond, limit={limit}")


def test_history_needs_a_bounded_number_of_queries(seeded_db, learner):
    needs(learner, HISTORY)
    db, shop = seeded_db("sqlite")
    customer = min(shop.customers)
    counts = {}
    for limit in (3, 40):
        counts[limit] = call(learner, "app.db:measured", HISTORY, db.url, customer, limit=limit)["statements"]
    assert counts[40] <= 4, (
        f"order_history sent {counts[3]} SQL statements for a page of 3 orders and {counts[40]} for 40; expected at "
        "most 4 whatever the page size - load the items eagerly (selectinload) instead of one query per order (N+1)"
    )


def plan(db, sql: str) -> str:
    with db.engine.connect() as conn:
        if db.kind == "sqlite":
            return "\n".join(str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):  # tiny tables: show what the
            conn.exec_driver_sql(f"SET {setting} = off")  # planner *could* do with the indexes it has
        return "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {sql}"))


@pytest.mark.parametrize("kind", ENGINES)
def test_the_history_lookup_uses_an_index(kind, seeded_db):
    db, shop = seeded_db(kind)
    customer = min(shop.customers)
    orders = plan(
        db, f"SELECT id FROM orders WHERE customer_id = {customer} ORDER BY created_at DESC, id DESC LIMIT 10"
    )
    items = plan(db, "SELECT * FROM order_items WHERE order_id IN (1, 2, 3)")
    if db.kind == "sqlite":
        scans_or_sorts = "INDEX" not in orders or "TEMP B-TREE" in orders
        items_scanned = "INDEX" not in items
    else:
        scans_or_sorts = "Index" not in orders or "Sort" in orders.replace("Incremental Sort", "")
        items_scanned = "Index" not in items
    assert not scans_or_sorts, (
        f"{kind}: a customer's newest orders: the plan scans or sorts\n{orders}\n"
        "expected an index walk: add an index on orders (customer_id, created_at, id)"
    )
    assert not items_scanned, (
        f"{kind}: an order's items: the plan scans the table\n{items}\nexpected an index on order_id"
    )


def test_bad_limits_are_rejected(seeded_db, learner):
    needs(learner, HISTORY)
    db, shop = seeded_db("sqlite")
    customer = min(shop.customers)
    for limit in (0, 101, -1, "5", True, 2.5):
        try:
            value = call(learner, HISTORY, db.url, customer, limit=limit)
        except LearnerError as exc:
            assert exc.type == "ValueError", (
                f"order_history(..., limit={limit!r}) raised {exc.type}; expected ValueError"
            )
            continue
        fail(f"order_history(..., limit={limit!r}) returned {str(value)[:200]}; expected ValueError")


def test_limits_from_1_to_100_are_served(seeded_db, learner):
    needs(learner, HISTORY)
    db, shop = seeded_db("sqlite")
    customer = min(shop.customers)
    want = [o["id"] for o in shop.history(customer)]
    assert 10 < len(want) < 100, f"the suite's customer has {len(want)} orders; expected between 10 and 100"
    for limit, size in ((1, 1), (100, len(want)), (None, 10)):
        kwargs = {} if limit is None else {"limit": limit}
        shown = f"limit={limit}" if limit is not None else "no limit (the default, 10)"
        try:
            page = page_of(learner, db, customer, **kwargs)
        except LearnerError as exc:
            fail(
                f"order_history(..., {shown}) raised {exc.type} ({exc.message[:200]}); expected a page of {size} order(s) "
                "orders: limit is an int from 1 to 100, both included"
            )
        got = [o.get("order_id") for o in page["orders"]]
        assert got == want[:size], (
            f"order_history(..., {shown}) for a customer with {len(want)} orders showed {len(got)} orders {got[:12]}; "
            f"expected the {size} newest {want[:size][:12]}"
        )


def test_cursors_are_checked_and_grant_nothing(seeded_db, learner):
    needs(learner, HISTORY)
    db, shop = seeded_db("sqlite")
    customer, other = min(shop.customers), shop.named["six"]
    junk = base64.urlsafe_b64encode(b'{"no": "cursor"}').decode()
    for after in ("", "not-a-cursor", "'; DROP TABLE orders;--", "%%%", "null", junk, 42, ["x"]):
        try:
            value = call(learner, HISTORY, db.url, customer, limit=5, after=after)
        except LearnerError as exc:
            assert exc.type == "ValueError", (
                f"order_history(..., after={after!r}) raised {exc.type}; expected ValueError"
            )
            continue
        fail(f"order_history(..., after={after!r}) returned {str(value)[:200]}; expected ValueError")
    left = db.scalar("SELECT count(*) FROM orders")
    assert left == len(shop.orders), (
        f"after order_history(..., after=<a bad cursor>) the orders table holds {left} orders, expected "
        f"{len(shop.orders)}: a cursor is data to check, never SQL to run (R25)"
    )

    cursor = page_of(learner, db, customer, limit=3)["next"]
    theirs = {o["id"] for o in shop.orders if o["customer_id"] == other}
    try:
        page = page_of(learner, db, other, limit=10, after=cursor)
    except LearnerError as exc:
        assert exc.type == "ValueError", (
            f"a cursor made for another customer raised {exc.type}; expected ValueError or a page"
        )
        return
    strangers = [o.get("order_id") for o in page["orders"] if o.get("order_id") not in theirs]
    assert not strangers, (
        f"customer {other}'s page, after a cursor made for customer {customer}, showed orders {strangers[:5]} "
        "that are not theirs; expected only their own orders (the cursor is a position, the customer filter stays)"
    )

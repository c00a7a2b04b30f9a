"""Revenue and top customers for a period [start, end), computed by the database."""

from datetime import datetime, timedelta, timezone

import pytest

from _helpers import ENGINES, T0, call, iso, reference_revenue, reference_top, seed

UTC = timezone.utc
REVENUE, TOP = "app.reports:revenue", "app.reports:top_customers"


def periods(shop):
    first = min(o["created_at"] for o in shop.orders)
    middle = shop.orders[len(shop.orders) // 2]["created_at"]
    return [(T0 - timedelta(days=365), T0 + timedelta(days=365)),  # everything
            (T0, T0 + timedelta(days=7)),
            (T0 + timedelta(days=10), T0 + timedelta(days=31)),
            (first, middle),  # an order exactly at start counts, one exactly at end doesn't
            (middle, middle + timedelta(microseconds=1))]


@pytest.mark.parametrize("kind", ENGINES)
def test_revenue_matches_the_reference(kind, schema_db, learner):
    db = schema_db(kind)
    shop = seed(db)
    for start, end in periods(shop):
        got = call(learner, REVENUE, db.url, iso(start), iso(end))
        want = reference_revenue(shop, start, end)
        assert got == want, (f"revenue({iso(start)}, {iso(end)}) = {got}, expected {want} - start included, end "
                             "excluded, cancelled orders left out, money from the order lines")


@pytest.mark.parametrize("kind", ENGINES)
def test_top_customers_match_the_reference_ties_included(kind, schema_db, learner):
    db = schema_db(kind)
    shop = seed(db)
    for (start, end), limit in zip(periods(shop), (5, 3, 10, 4, 2)):
        got = call(learner, TOP, db.url, iso(start), iso(end), limit=limit)
        want = reference_top(shop, start, end, limit)
        assert got == want, f"top_customers({iso(start)}, {iso(end)}, limit={limit}) = {got}\nexpected {want}"
    tie_day = datetime(2025, 4, 1, tzinfo=UTC)
    got = call(learner, TOP, db.url, iso(tie_day), iso(tie_day + timedelta(days=1)), limit=10)
    want = reference_top(shop, tie_day, tie_day + timedelta(days=1), 10)
    assert got == want, (f"on 2025-04-01 two customers spent exactly 1000 cents: ties are ordered by customer_id "
                         f"ascending. Got {got}, expected {want}")


@pytest.mark.parametrize("kind", ENGINES)
def test_an_empty_period_is_zero_not_an_error(kind, schema_db, learner):
    db = schema_db(kind)
    shop = seed(db, orders=30)
    empty = [(T0 - timedelta(days=30), T0 - timedelta(days=1)), (T0 + timedelta(days=900), T0 + timedelta(days=901)),
             (T0 + timedelta(days=3), T0 + timedelta(days=3))]
    for start, end in empty:
        if reference_revenue(shop, start, end)["orders"]:
            continue
        assert call(learner, REVENUE, db.url, iso(start), iso(end)) == {"orders": 0, "revenue_cents": 0}, (
            "a period without orders: {'orders': 0, 'revenue_cents': 0} (SUM over no rows is NULL: COALESCE it)")
        assert call(learner, TOP, db.url, iso(start), iso(end), limit=5) == [], "a period without orders: []"


def test_each_report_is_one_query(schema_db, learner):
    db = schema_db("sqlite")
    shop = seed(db)
    start, end = T0, T0 + timedelta(days=40)
    for target, kwargs in ((REVENUE, {}), (TOP, {"limit": 10})):
        measured = call(learner, "app.db:measured", target, db.url, iso(start), iso(end), **kwargs)
        assert measured["statements"] == 1, (
            f"{target} sent {measured['statements']} SQL statements: let the database aggregate (SUM, GROUP BY, "
            "ORDER BY, LIMIT) in one query instead of fetching rows and adding them up in Python")
    assert measured["result"] == reference_top(shop, start, end, 10)

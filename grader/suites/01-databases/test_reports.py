"""Revenue and top customers for a period [start, end), computed by the database (R26-R33).

Each rule has its own day in the seeded shop (_helpers.seed) and its own test; the general
periods lie among the random orders, where no boundary, cancelled order, order without lines
or tie decides the answer - so one mistake costs one test.
"""

from datetime import timedelta

import pytest
from _helpers import (
    A_DAY,
    BOUNDARY_DAY,
    CANCELLED_DAY,
    EMPTY_DAY,
    ENGINES,
    T0,
    TIE_DAY,
    iso,
    needs,
    reference_revenue,
    reference_top,
)

from grader.testing import call, fail

REVENUE, TOP = "app.reports:revenue", "app.reports:top_customers"
HALF_MINUTE = timedelta(seconds=30)  # the random orders are on whole minutes: no order on a boundary
GENERAL = [
    (T0 - A_DAY + HALF_MINUTE, T0 + 60 * A_DAY + HALF_MINUTE),  # all the random orders
    (T0 + HALF_MINUTE, T0 + 7 * A_DAY + HALF_MINUTE),
    (T0 + 10 * A_DAY + HALF_MINUTE, T0 + 24 * A_DAY + HALF_MINUTE),
    (T0 + 3 * A_DAY + HALF_MINUTE, T0 + 4 * A_DAY + HALF_MINUTE),
]


def revenue(learner, db, start, end) -> dict:
    return call(learner, REVENUE, db.url, iso(start), iso(end))


def top(learner, db, start, end, limit: int) -> list:
    return call(learner, TOP, db.url, iso(start), iso(end), limit=limit)


def no_ties(rows: list[dict], limit: int) -> bool:
    """True when the ranking of the first limit (+1, the cut) rows needs no tie-breaker."""
    cents = [r["revenue_cents"] for r in rows[: limit + 1]]
    return len(cents) == len(set(cents))


@pytest.mark.parametrize("kind", ENGINES)
def test_revenue_adds_up_the_lines(kind, seeded_db, learner):
    needs(learner, REVENUE, TOP)
    db, shop = seeded_db(kind)
    for start, end in GENERAL:
        got, want = revenue(learner, db, start, end), reference_revenue(shop, start, end)
        assert want["orders"], "the suite's period has no orders"
        assert got == want, (
            f"revenue({iso(start)}, {iso(end)}) = {got}; expected {want}: the number of orders, and the sum of "
            "quantity * unit_price_cents over their lines"
        )


@pytest.mark.parametrize("kind", ENGINES)
def test_top_customers_rank_by_revenue(kind, seeded_db, learner):
    needs(learner, REVENUE, TOP)
    db, shop = seeded_db(kind)
    checked = 0
    for (start, end), limit in [(p, n) for p in GENERAL for n in (1, 3, 5, 8, 40)]:
        want = reference_top(shop, start, end, 1000)
        if not no_ties(want, limit):
            continue
        got = top(learner, db, start, end, limit)
        checked += 1
        assert got == want[:limit], (
            f"top_customers({iso(start)}, {iso(end)}, limit={limit}) = {got}\nexpected {want[:limit]}\n"
            "(customer_id, email, counted orders, revenue; the biggest spenders first, at most limit)"
        )
    assert checked >= 10, f"the suite found only {checked} tie-free cases"


def test_top_customers_are_ten_by_default(seeded_db, learner):
    needs(learner, REVENUE, TOP)
    db, shop = seeded_db("sqlite")
    start, end = GENERAL[0]
    want = reference_top(shop, start, end, 1000)
    assert len(want) > 11 and no_ties(want, 10), "the suite's period needs more than 11 customers, no tie at the cut"
    got = call(learner, TOP, db.url, iso(start), iso(end))
    assert got == want[:10], (
        f"top_customers({iso(start)}, {iso(end)}) without a limit returned {len(got)} rows {got}\nexpected the 10 "
        f"biggest spenders {want[:10]}\n(limit=10 is the default, README R27)"
    )


@pytest.mark.parametrize("kind", ENGINES)
def test_ties_are_broken_by_customer_id(kind, seeded_db, learner):
    needs(learner, REVENUE, TOP)
    db, shop = seeded_db(kind)
    for limit in (5, 3, 2):
        got = top(learner, db, TIE_DAY, TIE_DAY + A_DAY, limit)
        want = reference_top(shop, TIE_DAY, TIE_DAY + A_DAY, limit)
        assert got == want, (
            f"on {TIE_DAY:%Y-%m-%d} three customers spent exactly 1000 cents: top_customers(..., limit={limit}) = "
            f"{got}\nexpected {want}\n(ties by customer_id ascending - not by email, not by the order of the rows)"
        )


@pytest.mark.parametrize("kind", ENGINES)
def test_a_period_includes_its_start_and_excludes_its_end(kind, seeded_db, learner):
    needs(learner, REVENUE, TOP)
    db, shop = seeded_db(kind)
    start, end = BOUNDARY_DAY, BOUNDARY_DAY + A_DAY  # orders 1 us before start, at start, inside, at end
    got, want = revenue(learner, db, start, end), reference_revenue(shop, start, end)
    assert got == want, (
        f"revenue({iso(start)}, {iso(end)}) = {got}; expected {want}: an order exactly at start counts, one "
        "exactly at end doesn't (created_at >= start AND created_at < end)"
    )
    got, want = top(learner, db, start, end, 10), reference_top(shop, start, end, 10)
    assert got == want, f"top_customers({iso(start)}, {iso(end)}) = {got}; expected {want} (start in, end out)"


@pytest.mark.parametrize("kind", ENGINES)
def test_cancelled_orders_are_left_out(kind, seeded_db, learner):
    needs(learner, REVENUE, TOP)
    db, shop = seeded_db(kind)
    start, end = CANCELLED_DAY, CANCELLED_DAY + A_DAY  # one paid order, two cancelled ones
    got, want = revenue(learner, db, start, end), reference_revenue(shop, start, end)
    assert got == want, f"revenue of {start:%Y-%m-%d} = {got}; expected {want}: cancelled orders don't count"
    got, want = top(learner, db, start, end, 10), reference_top(shop, start, end, 10)
    assert got == want, f"top_customers of {start:%Y-%m-%d} = {got}; expected {want}: cancelled orders don't count"


@pytest.mark.parametrize("kind", ENGINES)
def test_an_order_without_lines_counts_with_zero_cents(kind, seeded_db, learner):
    needs(learner, REVENUE, TOP)
    db, shop = seeded_db(kind)
    start, end = EMPTY_DAY, EMPTY_DAY + A_DAY  # an order without lines, and one with a line
    got, want = revenue(learner, db, start, end), reference_revenue(shop, start, end)
    assert got == want, (
        f"revenue of {start:%Y-%m-%d} = {got}; expected {want}: an order without lines counts, with 0 cents "
        "(an inner join to order_items drops it: use an outer join)"
    )
    got, want = top(learner, db, start, end, 10), reference_top(shop, start, end, 10)
    assert got == want, (
        f"top_customers of {start:%Y-%m-%d} = {got}; expected {want}: a customer whose only order has no lines "
        "is listed with 1 order and 0 cents"
    )


@pytest.mark.parametrize("kind", ENGINES)
def test_an_empty_period_is_zero_not_an_error(kind, seeded_db, learner):
    needs(learner, REVENUE, TOP)
    db, shop = seeded_db(kind)
    for start, end in [
        (T0 - 30 * A_DAY, T0 - A_DAY),  # before the first order
        (T0 + 900 * A_DAY, T0 + 901 * A_DAY),  # after the last
        (T0 + 3 * A_DAY, T0 + 3 * A_DAY),  # start == end: nothing is in [t, t)
    ]:
        assert reference_revenue(shop, start, end)["orders"] == 0, "the suite's empty period has orders"
        got = revenue(learner, db, start, end)
        assert got == {"orders": 0, "revenue_cents": 0}, (
            f"revenue({iso(start)}, {iso(end)}) = {got}; expected {{'orders': 0, 'revenue_cents': 0}} "
            "(SUM over no rows is NULL: COALESCE it)"
        )
        got = top(learner, db, start, end, 5)
        assert got == [], f"top_customers({iso(start)}, {iso(end)}) = {got}; expected []"


def test_each_report_is_one_query(seeded_db, learner):
    needs(learner, REVENUE, TOP)
    db, _ = seeded_db("sqlite")
    start, end = GENERAL[0]
    for target, kwargs in ((REVENUE, {}), (TOP, {"limit": 10})):
        measured = call(learner, "app.db:measured", target, db.url, iso(start), iso(end), **kwargs)
        if measured["statements"] != 1:
            fail(
                f"{target.rpartition(':')[2]} sent {measured['statements']} SQL statements; expected 1 - let the "
                "database aggregate (SUM, GROUP BY, ORDER BY, LIMIT) instead of fetching rows and adding them up in Python"
            )

"""Part "overload": a bounded pool, load shed with 503 + Retry-After, slow services degraded - on the
short-timer processes (POOL_SIZE 4, POOL_TIMEOUT_SECONDS 0.25, RECOMMENDATIONS_TIMEOUT_SECONDS 0.3)."""

from _downstream import recommendations_for
from _load import Burst, burst
from _shop import fresh_id, fresh_ids, is_problem, retry_after, wait_for, wrong_product

from grader.testing import fail

WHERE = "the catalogue client in app/main.py"
_overlap: dict[str, str] = {}  # the verdict of require_overlap, for the whole module


def require_overlap(shop, downstream) -> None:
    """Fail fast unless one process has two catalogue queries in flight at once: an app that
    blocks its event loop on every query can't fill a pool, and would only make these tests wait.
    Checked on the main processes, before the short-timer ones start: the scaffold starts none."""
    if "verdict" not in _overlap:
        ids = fresh_ids(2)
        hold = downstream.hold("load", ids, until=2, max_s=1.0)
        burst([shop.call(f"/products/{i}", via=0) for i in ids], timeout_s=5)
        _overlap["verdict"] = (
            ""
            if hold.peak >= 2
            else (
                "two concurrent reads of uncached products on one process reached the catalogue one after the "
                "other: the event loop is blocked while a query runs - use the async client (Catalogue) and "
                "await it (README, 'Concurrency')"
            )
        )
    if _overlap["verdict"]:
        fail(_overlap["verdict"])


CATALOGUE_TIMEOUT_S = 5.0  # the provided catalogue client's timeout (app/core/config.py): a held query fails then


def bound_s(shop) -> float:
    """How long the tests wait for requests to be shed: generous (a loaded machine is slow), but
    shorter than the catalogue's timeout, or a held query that timed out would free its connection
    (and answer) within it - a race that let an unbounded wait pass in some runs."""
    return min(shop.setting("POOL_TIMEOUT_SECONDS") + 5.0, CATALOGUE_TIMEOUT_S - 0.5)


def shed(shop, downstream, extra: int) -> tuple[list, int]:
    """POOL_SIZE + extra concurrent cold reads on process 0 while the catalogue holds them: the
    answers that came back before the catalogue answered anything, and the queries it saw."""
    size = int(shop.setting("POOL_SIZE"))
    ids = fresh_ids(size + extra)
    hold = downstream.hold("load", ids)
    run = Burst([shop.call(f"/products/{i}", via=0) for i in ids], timeout_s=15)
    run.wait_until(lambda b: len(b.answered()) >= extra or hold.arrived > size, bound_s(shop))
    early, arrived = run.answered(), hold.arrived
    hold.release()
    answers = run.result()
    problems = [
        p
        for answer in answers
        if answer not in early and (p := wrong_product(answer, downstream.product(answer_id(answer))))
    ]
    if arrived > size:
        fail(
            f"{size + extra} concurrent reads on one process put {arrived} queries on the catalogue at once; "
            f"POOL_SIZE={size}: bound the pool (httpx.Limits(max_connections=...)) ({WHERE}; README, 'Overload')"
        )
    if len(early) < extra:
        fail(
            f"with all {size} pooled connections busy, {extra - len(early)} of {extra} more requests got no answer "
            f"within {bound_s(shop):g} s (POOL_TIMEOUT_SECONDS={shop.setting('POOL_TIMEOUT_SECONDS'):g}): waiting "
            f"for a connection must be bounded - httpx.Timeout(pool=...) - and end in a 503 ({WHERE}; README, "
            "'Overload')"
        )
    assert not problems, f"once the catalogue answered, the requests that waited for it should succeed: {problems[0]}"
    return early, arrived


def answer_id(answer) -> int:
    return int(answer.call.path.rsplit("/", 1)[1])


def test_an_exhausted_pool_sheds_load_with_503(main, start_short, downstream):
    require_overlap(main, downstream)
    short = start_short()
    early, _ = shed(short, downstream, extra=4)
    wrong = [a.describe() for a in early if not (is_problem(a, 503) and (retry_after(a) or 0) >= 1)]
    assert not wrong, (
        "a request that can't get a connection in time should be a 503 application/problem+json with Retry-After "
        f"(whole seconds), got {wrong[0]} (README, 'Overload')"
    )


def test_the_pool_recovers_after_shedding(main, start_short, downstream):
    require_overlap(main, downstream)
    short = start_short()
    shed(short, downstream, extra=2)
    size = int(short.setting("POOL_SIZE"))
    ids = fresh_ids(size)
    hold = downstream.hold("load", ids, until=size, max_s=5.0)
    answers = burst([short.call(f"/products/{i}", via=0) for i in ids], timeout_s=15)
    problems = [p for a in answers if (p := wrong_product(a, downstream.product(answer_id(a))))]
    assert not problems and hold.peak == size, (
        f"after shedding load, the pool should serve {size} queries at once again: {hold.peak} reached the "
        f"catalogue together ({problems[0] if problems else 'all answered'}) - are connections returned when a "
        f"request gives up? ({WHERE}; README, 'Overload')"
    )


def test_waiting_for_another_requests_load_is_bounded(main, start_short, downstream):
    require_overlap(main, downstream)
    short = start_short()
    product_id = fresh_id()
    hold = downstream.hold("load", [product_id])
    run = Burst([short.call(f"/products/{product_id}", via=i % 2) for i in range(10)], timeout_s=15)
    if not wait_for(lambda: hold.arrived >= 1, 5):
        hold.release()
        fail(f"GET /products/{product_id} never reached the catalogue: {run.result()[0].describe()}")
    # Every request that isn't itself held at the catalogue must be answered in bounded time.
    done = run.wait_until(lambda b: len(b.answered()) >= 10 - hold.waiting, bound_s(short))
    early, loading = run.answered(), hold.waiting
    hold.release()
    run.result()
    assert done, (
        f"10 concurrent reads of one uncached product while its query hangs: {loading} are at the catalogue, and "
        f"{10 - loading - len(early)} more still wait after {bound_s(short):g} s for that query. A request waits for "
        "another's load at most POOL_TIMEOUT_SECONDS, then gets a 503 (ProductCache.get in app/cache.py; README, "
        "'Overload')"
    )
    wrong = [a.describe() for a in early if not (is_problem(a, 503) and (retry_after(a) or 0) >= 1)]
    assert not wrong, f"a request that gave up waiting should be a 503 problem with Retry-After, got {wrong[0]}"


def test_a_slow_recommendations_service_degrades(main, start_short, downstream):
    require_overlap(main, downstream)
    short = start_short()
    product_id = fresh_id()
    timeout = short.setting("RECOMMENDATIONS_TIMEOUT_SECONDS")
    hold = downstream.hold("recommendations", [product_id])
    [answer] = burst([short.call(f"/products/{product_id}/recommendations", via=0)], timeout_s=timeout + 5)
    hold.release()
    degraded = {"product_id": product_id, "recommendations": [], "degraded": True}
    assert answer.status == 200 and answer.json() == degraded, (
        f"when the recommendations service doesn't answer within RECOMMENDATIONS_TIMEOUT_SECONDS={timeout:g}, "
        f"answer 200 with {degraded}; got {answer.describe()} (README, 'Overload')"
    )
    failing = fresh_id()
    downstream.fail_recommendations([failing])
    answer = short.request(f"/products/{failing}/recommendations", via=1)
    degraded = {"product_id": failing, "recommendations": [], "degraded": True}
    assert answer.status == 200 and answer.json() == degraded, (
        f"when the recommendations service fails (a 503), answer 200 with {degraded}; got {answer.describe()} "
        "(README, 'Overload')"
    )
    healthy = short.request(f"/products/{product_id}/recommendations", via=1)
    expected = {"product_id": product_id, "recommendations": recommendations_for(product_id), "degraded": False}
    assert healthy.status == 200 and healthy.json() == expected, (
        f"with the service answering, expected {expected}, got {healthy.describe()} (README, 'The API')"
    )

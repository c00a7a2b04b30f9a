"""Part "caching": cache-aside in the shared Redis - loads counted by the suite's catalogue."""

import itertools
import time

import redis
from _load import burst
from _shop import fresh_id, fresh_ids, in_background, require_caching, wait_for, wrong_product

from grader.testing import fail

WHERE = "ProductCache.get in app/cache.py"


def test_repeated_reads_come_from_the_cache(main, downstream):
    product_id = fresh_id()
    answers = [main.product(product_id) for _ in range(5)]
    expected = downstream.product(product_id)
    problems = [p for answer in answers if (p := wrong_product(answer, expected))]
    assert not problems, f"{len(problems)} of 5 reads of product {product_id} failed, e.g. {problems[0]}"
    loads = downstream.loads(product_id)
    assert loads == 1, (
        f"5 reads of product {product_id} on one process made {loads} catalogue queries, expected 1: look in "
        f"Redis first and store what you load ({WHERE}; README, 'Caching')"
    )


def test_both_processes_share_the_cache(main, downstream):
    require_caching(main, downstream)
    product_id = fresh_id()
    for via in (0, 1, 1, 0, 1):
        answer = main.product(product_id, via=via)
        assert not (problem := wrong_product(answer, downstream.product(product_id))), problem
    loads = downstream.loads(product_id)
    assert loads == 1, (
        f"reads of product {product_id} on two processes made {loads} catalogue queries, expected 1: a cache "
        f"inside each process is a cache per process - keep it in Redis, shared by all ({WHERE}; README, 'Caching')"
    )


def _versions(main, product_id: int) -> list:
    return [(main.product(product_id, via=via).json() or {}).get("version") for via in (0, 1, 0, 1)]


def test_a_read_during_a_write_cannot_keep_the_old_version(main, downstream):
    """Invalidate, then write: a read in between loads the old version and caches it again."""
    require_caching(main, downstream)
    product_id = fresh_id()
    for via in (0, 1):
        main.product(product_id, via=via)  # cached, version 1
    new_price = downstream.product(product_id)["price_cents"] + 100
    hold = downstream.hold("write", [product_id])
    writer = in_background(lambda: main.patch(product_id, {"price_cents": new_price}, via=0))
    if not wait_for(lambda: hold.arrived >= 1, 5):
        hold.release()
        fail(f"PATCH /products/{product_id} never reached the catalogue: {writer.result(15).describe()}")
    reader = in_background(lambda: main.product(product_id, via=1))  # while the write is in flight
    wait_for(reader.done, 1.0)  # it may wait for the write (a lock): then let the write go
    hold.release()
    written = writer.result(15)
    assert written.status == 200 and written.json().get("version") == 2, (
        f"PATCH /products/{product_id} should answer 200 with version 2, got {written.describe()}"
    )
    versions = _versions(main, product_id)
    assert versions == [2, 2, 2, 2], (
        f"after PATCH answered (version 2), reads of product {product_id} on the two processes got versions "
        f"{versions}: a read that ran while the write was in flight put the old version back into the cache. "
        "Write the catalogue first, then the cache (ProductCache.update in app/cache.py; README, 'Caching')"
    )


def test_a_slow_read_cannot_bring_back_an_old_version(main, downstream):
    """Write, then delete: a read that loaded the old version before the write stores it afterwards."""
    require_caching(main, downstream)
    product_id = fresh_id()
    new_price = downstream.product(product_id)["price_cents"] + 100
    hold = downstream.hold("load", [product_id])
    reader = in_background(lambda: main.product(product_id, via=1))  # loads version 1, held at the catalogue
    if not wait_for(lambda: hold.arrived >= 1, 5):
        hold.release()
        fail(f"GET /products/{product_id} never reached the catalogue: {reader.result(15).describe()}")
    writer = in_background(lambda: main.patch(product_id, {"price_cents": new_price}, via=0))
    wait_for(writer.done, 1.5)  # a design whose writes wait for the read's lock is still waiting: let the read go
    hold.release()
    reader.result(15)
    written = writer.result(15)
    assert written.status == 200 and written.json().get("version") == 2, (
        f"PATCH /products/{product_id} should answer 200 with version 2, got {written.describe()}"
    )
    versions = _versions(main, product_id)
    assert versions == [2, 2, 2, 2], (
        f"after PATCH answered (version 2), reads of product {product_id} got versions {versions}: a read that "
        "had loaded version 1 before the write stored it after the write. Don't let an older version overwrite "
        "a newer one - compare versions in Redis, atomically (ProductCache.update and get in app/cache.py; "
        "README, 'Caching')"
    )


def test_an_older_write_answering_last_cannot_overwrite_a_newer_one(main, downstream):
    """Two PATCHes: the first one's answer (version 2) is held back until the second (version 3) has
    answered. Storing whatever a write returns puts version 2 over version 3."""
    require_caching(main, downstream)
    product_id = fresh_id()
    price = downstream.product(product_id)["price_cents"]
    hold = downstream.hold("written", [product_id], first=1)  # applied, answer kept back
    first = in_background(lambda: main.patch(product_id, {"price_cents": price + 100}, via=0))
    if not wait_for(lambda: hold.arrived >= 1, 5):
        hold.release()
        fail(f"PATCH /products/{product_id} never reached the catalogue: {first.result(15).describe()}")
    second = in_background(lambda: main.patch(product_id, {"price_cents": price + 200}, via=1))
    wait_for(second.done, 1.5)  # a design whose writes wait for each other is still waiting: let the first go
    hold.release()
    answers = [first.result(15), second.result(15)]
    got = [(a.status, (a.json() or {}).get("version")) for a in answers]
    assert got == [(200, 2), (200, 3)], (
        f"two PATCHes of product {product_id} should answer 200 with versions 2 and 3, got "
        f"{'; '.join(a.describe() for a in answers)}"
    )
    versions = _versions(main, product_id)
    assert versions == [3, 3, 3, 3], (
        f"after two PATCHes answered (versions 2 and 3), reads of product {product_id} got versions {versions}: "
        "the first PATCH's answer came back last and its version 2 overwrote version 3 in the cache. A write's "
        "answer can be older than what is cached - compare versions in Redis, atomically (ProductCache.update in "
        "app/cache.py; README, 'Caching')"
    )


def test_a_hundred_cold_reads_make_one_query(main, downstream):
    require_caching(main, downstream)
    product_id = fresh_id()
    downstream.hold("load", [product_id], max_s=0.5)  # the first query takes 0.5 s: everyone else arrives
    answers = burst([main.call(f"/products/{product_id}", via=i % 2) for i in range(100)], timeout_s=15)
    expected = downstream.product(product_id)
    problems = [p for answer in answers if (p := wrong_product(answer, expected))]
    assert not problems, f"{len(problems)} of 100 concurrent reads failed, e.g. {problems[0]}"
    loads = downstream.loads(product_id)
    assert loads <= 2, (
        f"100 concurrent reads of one uncached product made {loads} catalogue queries, expected 1 (at most one per "
        f"process): a stampede. Let one request load and the others wait for the cache - a lock in Redis "
        f"(SET NX PX) ({WHERE}; README, 'Caching')"
    )


def test_a_slow_load_keeps_its_lock(main, downstream):
    """R12 however long the load takes: the query is held 2 s (within POOL_TIMEOUT_SECONDS=3, so
    every waiter is still waiting), and waiters poll the lock all along - a lock that expires
    before the load ends is taken by one of them, every run."""
    require_caching(main, downstream)
    product_id = fresh_id()
    downstream.hold("load", [product_id], max_s=2.0)
    burst([main.call(f"/products/{product_id}", via=0) for _ in range(20)], timeout_s=15)
    if (loads := downstream.loads(product_id)) != 1:
        fail(
            f"20 concurrent reads of one uncached product on one process, whose catalogue query took 2 s, made "
            f"{loads} catalogue queries, expected 1: the load lock expired while its query still ran, and a waiter "
            f"took it and loaded again. Let the lock live as long as a load can take (the catalogue's timeout, "
            f"and the wait for a connection) ({WHERE}; README, 'Caching')"
        )


def test_entries_live_the_ttl_plus_jitter(main, downstream, redis_url):
    require_caching(main, downstream)
    ttl_ms = main.setting("CACHE_TTL_SECONDS") * 1000
    ids = fresh_ids(20)
    answers = burst([main.call(f"/products/{i}", via=i % 2) for i in ids], timeout_s=15)
    problems = [p for answer, i in zip(answers, ids) if (p := wrong_product(answer, downstream.product(i)))]
    assert not problems, f"{len(problems)} of 20 reads of uncached products failed, e.g. {problems[0]}"
    read_at = {i: answer.sent + answer.latency_s for answer, i in zip(answers, ids)}
    with redis.Redis.from_url(redis_url) as client:
        remaining = {product_id: client.pttl(f"product:{product_id}") for product_id in ids}
        now = time.monotonic()
    missing = [product_id for product_id, ms in remaining.items() if ms < 0]
    assert not missing, (
        f"no key with a TTL for products {missing[:5]} in Redis (PTTL: {[remaining[i] for i in missing[:5]]}; -2 "
        "means no key, -1 no TTL): cache product {id} under the key 'product:{id}' with an expiry (README, 'Caching')"
    )
    # What each TTL was when it was set, give or take the time the request took.
    lived = sorted(remaining[i] + (now - read_at[i]) * 1000 for i in ids)
    low, high = ttl_ms - 5000, ttl_ms * 1.1 + 100
    assert low <= lived[0] and lived[-1] <= high, (
        f"with CACHE_TTL_SECONDS={ttl_ms / 1000:g}, entries were set to expire after {lived[0] / 1000:.1f} to "
        f"{lived[-1] / 1000:.1f} s; expected {ttl_ms / 1000:g} s plus 0-10% (README, 'Caching')"
    )
    assert lived[-1] - lived[0] >= 0.02 * ttl_ms, (
        f"20 entries cached one after another all expire within {(lived[-1] - lived[0]) / 1000:.2f} s of each "
        "other: add a random 0-10% to each TTL (jitter), or entries cached together expire together and the "
        f"catalogue gets all their queries at once ({WHERE}; README, 'Caching')"
    )


def test_entries_expire(main, start_short, downstream):
    require_caching(main, downstream)  # no cache at all (the scaffold): fail before starting the short-timer processes
    short = start_short()
    require_caching(short, downstream)
    product_id = fresh_id()
    short.product(product_id, via=0)
    changed = downstream.change(product_id, price_cents=downstream.product(product_id)["price_cents"] + 1)
    ttl = short.setting("CACHE_TTL_SECONDS")
    started, seen = time.monotonic(), None
    for attempt in itertools.count():
        seen = short.product(product_id, via=attempt % 2).json()
        if seen == changed:
            return
        if time.monotonic() - started > ttl * 1.1 + 2.0:
            break
        time.sleep(0.1)
    fail(
        f"product {product_id} changed in the catalogue; with CACHE_TTL_SECONDS={ttl:g} its cache entry should "
        f"expire within {ttl * 1.1:g} s, but {time.monotonic() - started:.1f} s later the app still served "
        f"{seen}: give every entry a TTL ({WHERE}; README, 'Caching')"
    )

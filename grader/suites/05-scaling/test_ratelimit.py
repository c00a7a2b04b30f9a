"""Part "ratelimit": one limit per API key for both processes together, told in the IETF headers."""

import re
import time

from _load import burst
from _shop import fresh_id, fresh_key, is_problem, retry_after

from grader.testing import fail

WHERE = "RateLimiter.hit in app/ratelimit.py"
ITEM = re.compile(r'^\s*"([^"]*)"\s*((?:;\s*[a-z]+\s*=\s*[0-9]+\s*)*)$')


def parse_item(value: str | None) -> tuple[str, dict[str, int]] | None:
    """A Structured Field item like '"default";q=10;w=60' as ("default", {"q": 10, "w": 60})."""
    match = ITEM.match(value or "")
    if not match:
        return None
    params = dict(p.split("=") for p in re.sub(r"\s", "", match.group(2)).split(";") if p)
    return match.group(1), {k: int(v) for k, v in params.items()}


def warm(shop, downstream) -> int:
    """A product both processes serve quickly: from the cache, or from a catalogue made fast."""
    downstream.slow_down(load_s=0.0)
    product_id = fresh_id()
    for via in (0, 1):
        answer = shop.product(product_id, via=via)
        if answer.status != 200:
            fail(f"this test needs working product reads first: GET /products/{product_id} got {answer.describe()}")
    return product_id


def limit_of(shop) -> tuple[int, int]:
    return int(shop.setting("RATE_LIMIT")), int(shop.setting("RATE_WINDOW_SECONDS"))


def limiting(shop, product_id: int) -> tuple[str, str]:
    """(the key, now over its limit; "") if RATE_LIMIT + 1 concurrent requests of one key on one
    process get exactly one 429, else ("", why not). Tried again if the burst was too slow to tell."""
    limit, window = limit_of(shop)
    for _ in range(3):
        key = fresh_key()
        answers = burst([shop.call(f"/products/{product_id}", via=0, key=key) for _ in range(limit + 1)], timeout_s=10)
        refused = [a.status for a in answers].count(429)
        if refused == 1 and all(allowed(a) for a in answers if a.status != 429):
            return key, ""
        if span_s(answers) < 0.8 * window:
            break
    return "", (
        f"with RATE_LIMIT={limit} per {window} s, {limit + 1} concurrent requests with one API key on one process "
        f"should get {limit} answers and one 429, got {sorted(a.status or a.error for a in answers)} ({WHERE}; "
        "README, 'Rate limits')"
    )


def require_limiting(shop, product_id: int) -> str:
    """Fail fast unless one process limits a key (``limiting``); the key, now over its limit."""
    key, problem = limiting(shop, product_id)
    if problem:
        fail(problem)
    return key


_main_limits: dict[str, str] = {}  # the verdict of start_short_once_main_limits, for the whole module


def start_short_once_main_limits(main, start_short, downstream):
    """The short-timer processes, started once the main ones showed a limiter at all (checked once
    for the module): without one (the untouched scaffold) a test fails at once, starting nothing."""
    if "verdict" not in _main_limits:
        _, problem = limiting(main, warm(main, downstream))
        _main_limits["verdict"] = f"this test needs a rate limiter first: {problem}" if problem else ""
    if _main_limits["verdict"]:
        fail(_main_limits["verdict"])
    return start_short()


def allowed(answer) -> bool:
    """Let through by the limiter: anything but a 429 (a 503 of the cache layer came after it counted)."""
    return answer.status not in (0, 429)


def span_s(answers) -> float:
    """The longest the requests' handling can have been spread over (sent first to answered last)."""
    return max(a.sent + a.latency_s for a in answers) - min(a.sent for a in answers)


def test_the_limit_holds_across_both_processes(main, downstream):
    product_id = warm(main, downstream)
    limit, window = limit_of(main)
    key = fresh_key()
    answers = burst([main.call(f"/products/{product_id}", via=i % 2, key=key) for i in range(3 * limit)], timeout_s=15)
    statuses = sorted(a.status or a.error for a in answers)
    served = sum(allowed(a) for a in answers)
    assert served == limit and statuses.count(429) == 2 * limit, (
        f"{3 * limit} concurrent requests with one API key, spread over two processes, with RATE_LIMIT={limit} "
        f"per {window} s: {served} were let through (statuses {dict((s, statuses.count(s)) for s in set(statuses))}), "
        f"expected exactly {limit}. Count in Redis, for all processes, and check-and-count in one atomic step "
        f"(a Lua script) ({WHERE}; README, 'Rate limits')"
    )


def test_the_429_is_a_problem_with_retry_after(main, downstream):
    product_id = warm(main, downstream)
    limit, window = limit_of(main)
    key = fresh_key()
    for i in range(limit):
        main.product(product_id, via=i % 2, key=key)
    refused = main.product(product_id, via=limit % 2, key=key)
    assert is_problem(refused, 429), (
        f"request {limit + 1} with one API key (RATE_LIMIT={limit}) should be a 429 application/problem+json, got "
        f"{refused.describe()} ({WHERE}; README, 'Rate limits')"
    )
    wait = retry_after(refused)
    assert wait is not None and 1 <= wait <= window, (
        f"the 429 should carry Retry-After: the whole seconds until a request is allowed again (1 to {window}), "
        f"got {refused.header('Retry-After')!r} (README, 'Rate limits')"
    )
    state = parse_item(refused.header("RateLimit"))
    assert state is not None and state[1].get("r") == 0 and state[1].get("t") == wait, (
        f'the 429 should carry RateLimit: "default";r=0;t={wait} (t = Retry-After), got '
        f"{refused.header('RateLimit')!r} (README, 'Rate limits')"
    )


def test_every_answer_tells_the_quota_left(main, downstream):
    product_id = warm(main, downstream)
    limit, window = limit_of(main)
    key = fresh_key()
    for i in range(limit):
        answer = main.product(product_id, via=0, key=key)
        policy = parse_item(answer.header("RateLimit-Policy"))
        state = parse_item(answer.header("RateLimit"))
        assert answer.status == 200 and policy == ("default", {"q": limit, "w": window}), (
            f'every answer should carry RateLimit-Policy: "default";q={limit};w={window}; request {i + 1} got '
            f"{answer.status} with {answer.header('RateLimit-Policy')!r} (README, 'Rate limits')"
        )
        assert state is not None and state[0] == "default" and state[1].get("r") == limit - 1 - i, (
            f'request {i + 1} with a fresh API key should carry RateLimit: "default";r={limit - 1 - i};t=..., got '
            f"{answer.header('RateLimit')!r}: r is what is left after this request (README, 'Rate limits')"
        )
        assert 1 <= state[1].get("t", 0) <= window, (
            f"RateLimit's t is the whole seconds until the oldest counted request leaves the {window} s window "
            f"(1 to {window}), got {answer.header('RateLimit')!r} (README, 'Rate limits')"
        )


def test_keys_are_limited_separately(main, downstream):
    product_id = warm(main, downstream)
    limit, _ = limit_of(main)
    require_limiting(main, product_id)
    other = main.product(product_id, key=fresh_key())
    assert allowed(other), (
        f"another API key must have its own quota: its first request got {other.describe()} (README, 'Rate limits')"
    )
    anonymous = [main.product(product_id, via=i % 2, key=None).status for i in range(limit + 1)]
    assert [s == 429 for s in anonymous] == [False] * limit + [True] and 0 not in anonymous, (
        f"requests without an X-API-Key share one quota, on both processes: {limit + 1} of them got {anonymous}, "
        f"expected {limit} x 200 then 429 (README, 'Rate limits')"
    )
    health = [main.request("/health", via=i % 2, key=None).status for i in range(limit + 2)]
    assert health == [200] * (limit + 2), f"/health is never rate limited, got {health} (README, 'Rate limits')"


def test_waiting_retry_after_is_enough_and_refusals_do_not_count(main, start_short, downstream):
    short = start_short_once_main_limits(main, start_short, downstream)
    product_id = warm(short, downstream)
    _, window = limit_of(short)
    key = require_limiting(short, product_id)
    refused = short.product(product_id, key=key)
    # Retry-After counts from the response's arrival (RFC 9110, 10.2.3), not from the request's
    # sending: on a loaded machine the 429 can take a while to come back.
    refused_at = refused.sent + refused.latency_s
    wait = retry_after(refused)
    assert wait is not None and 1 <= wait <= window, (
        f"a 429 should carry Retry-After in whole seconds (1 to {window}), got {wait!r} (README, 'Rate limits')"
    )
    while time.monotonic() < refused_at + wait:  # an impatient client keeps trying, every 100 ms
        short.product(product_id, via=1, key=key)
        time.sleep(0.1)
    answer = short.product(product_id, via=0, key=key)
    assert allowed(answer), (
        f"after waiting Retry-After ({wait} s) - trying every 100 ms meanwhile - the next request should be "
        f"served, got {answer.describe()}: refused requests must not count against the quota, and Retry-After "
        f"must not be too short ({WHERE}; README, 'Rate limits')"
    )


def too_many_within_a_window(served, limit: int, window: float) -> bool:
    """True if limit + 1 of the served requests were certainly handled within less than a window:
    from the first one's sending to the last one's answer."""
    ordered = sorted(served, key=lambda a: a.sent)
    return any(
        max(a.sent + a.latency_s for a in ordered[i : i + limit + 1]) - ordered[i].sent < window
        for i in range(len(ordered) - limit)
    )


def around_a_boundary(shop, product_id: int) -> tuple[list, list]:
    """A fresh key: one request just after a whole multiple of the window (where fixed windows
    start), RATE_LIMIT - 1 at 0.75 window later, RATE_LIMIT at 1.1 windows: the replies of the two bursts."""
    limit, window = limit_of(shop)
    key = fresh_key()
    time.sleep(window - time.time() % window + 0.02)
    start = time.monotonic()
    first = shop.product(product_id, key=key)
    assert allowed(first), (
        f"the first request of a fresh API key should be let through, got {first.describe()} (README, 'Rate limits')"
    )
    bursts = []
    for at, n in ((0.75, limit - 1), (1.1, limit)):
        time.sleep(max(0.0, start + at * window - time.monotonic()))
        bursts.append(burst([shop.call(f"/products/{product_id}", via=i % 2, key=key) for i in range(n)], timeout_s=10))
    return bursts[0], bursts[1]


def test_no_burst_across_a_window_boundary(main, start_short, downstream):
    short = start_short_once_main_limits(main, start_short, downstream)
    product_id = warm(short, downstream)
    limit, window = limit_of(short)
    require_limiting(short, product_id)
    for _ in range(6):  # on a machine too slow to tell (the bursts spread over a window), again
        late, early = around_a_boundary(short, product_id)
        assert all(allowed(a) for a in late), (
            f"{limit - 1} more requests (of RATE_LIMIT={limit}) within the first window should all be served, got "
            f"{[a.status or a.error for a in late]} ({WHERE}; README, 'Rate limits')"
        )
        served = [a for a in late + early if allowed(a)]
        assert not too_many_within_a_window(served, limit, window), (
            f"{len(served)} requests of one API key were served within {span_s(late + early):.2f} s (RATE_LIMIT="
            f"{limit} per {window} s): {limit - 1} at the end of one window and {len(served) - limit + 1} at the "
            "start of the next - a fixed window lets twice the limit through around its boundary. Count the "
            f"requests of the last {window} s at every moment (a sliding-window log) ({WHERE}; README, 'Rate limits')"
        )
        if span_s(late + early) < window:
            return


def test_when_redis_is_down_requests_are_served(main, start_short, short_redis, downstream):
    short = start_short_once_main_limits(main, start_short, downstream)
    product_id = warm(short, downstream)
    limit, _ = limit_of(short)
    exhausted = require_limiting(short, product_id)
    normal = short.product(product_id, via=1).latency_s  # a read, with Redis up
    bound = 10 * normal + 5.0

    def served_without_redis(keys: tuple[str, ...], down: str) -> None:
        for key in keys:
            answer = short.product(product_id, via=1 if key == exhausted else 0, key=key)
            assert answer.status == 200 and answer.json() == downstream.product(product_id), (
                f"with Redis {down}, GET /products/{product_id} should still be served (the limiter fails open, "
                f"reads go to the catalogue), got {answer.describe()} (README, 'When Redis is down')"
            )
            assert answer.header("RateLimit") is None, (
                f"with Redis {down} nothing is counted: expected an answer without RateLimit headers, got RateLimit: "
                f"{answer.header('RateLimit')!r} (README, 'When Redis is down')"
            )
            assert answer.latency_s < bound, (
                f"with Redis {down}, a read took {answer.latency_s:.1f} s (with Redis up: {normal:.2f} s): bound "
                "every Redis call by REDIS_TIMEOUT_SECONDS, retries included - the client's defaults retry for "
                "seconds (README, 'When Redis is down')"
            )

    short_redis.stop()
    try:
        served_without_redis((exhausted, fresh_key(), exhausted, fresh_key()), "stopped")
    finally:
        short_redis.start()
    short_redis.pause()  # hung: it accepts connections and answers nothing, so calls time out
    try:
        served_without_redis((fresh_key(), fresh_key()), "hanging (a Redis timeout is an error like any other)")
    finally:
        short_redis.resume()
    key = fresh_key()
    back = [short.product(product_id, via=i % 2, key=key).status for i in range(limit + 1)]
    assert [s == 429 for s in back] == [False] * limit + [True], (
        f"once Redis is back (empty), limiting must work again without a restart: {limit + 1} requests of a new "
        f"key got {back} (README, 'When Redis is down')"
    )

"""Part "ratelimit": one limit per API key for both processes together, told in the IETF headers."""

import re
import time

from _load import burst
from _ratelimit import WHERE, allowed, limit_of, require_limiting, span_s, start_short_once_main_limits, warm
from _shop import fresh_key, is_problem, retry_after

ITEM = re.compile(r'^\s*"([^"]*)"\s*((?:;\s*[a-z]+\s*=\s*[0-9]+\s*)*)$')


def parse_item(value: str | None) -> tuple[str, dict[str, int]] | None:
    """A Structured Field item like '"default";q=10;w=60' as ("default", {"q": 10, "w": 60})."""
    match = ITEM.match(value or "")
    if not match:
        return None
    params = dict(p.split("=") for p in re.sub(r"\s", "", match.group(2)).split(";") if p)
    return match.group(1), {k: int(v) for k, v in params.items()}


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

"""What the rate-limit tests share (test_ratelimit.py, test_redis_down.py): a warm product, the
limit a shop runs with, and whether one of its processes limits a key at all."""

from _load import burst
from _shop import fresh_id, fresh_key

from grader.testing import fail

WHERE = "RateLimiter.hit in app/ratelimit.py"


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


_main_limits: dict[str, str] = {}  # the verdict of start_short_once_main_limits, for this pytest process


def start_short_once_main_limits(main, start_short, downstream):
    """The short-timer processes, started once the main ones showed a limiter at all (checked once
    for this pytest process): without one (the untouched scaffold) a test fails at once, starting nothing."""
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

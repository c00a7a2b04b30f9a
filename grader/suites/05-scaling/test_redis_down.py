"""Part "ratelimit", when Redis is down: the limiter fails open, reads go to the catalogue, quickly.

Its own file, so that it runs in a test group of its own (manifest.toml): it waits on Redis
timeouts, and stops and hangs the short-timer processes' Redis.
"""

from _ratelimit import limit_of, require_limiting, start_short_once_main_limits, warm
from _shop import fresh_key


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

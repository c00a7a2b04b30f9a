"""Rate limits per API key, shared by every process. Today: none.

Make it a sliding-window log in Redis, one atomic Lua script per request (README, 'Rate limits').
"""

from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError  # noqa: F401  (Redis down: README, 'When Redis is down')


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    window_s: int
    remaining: int
    reset_s: int  # seconds until the oldest counted request leaves the window (one more is allowed)

    def headers(self) -> dict[str, str]:
        """The IETF RateLimit header fields, and Retry-After when refused."""
        # TODO: RateLimit-Policy and RateLimit (README, 'Rate limits'), Retry-After on a 429.
        return {}


class RateLimiter:
    def __init__(self, redis: Redis, limit: int, window_s: int):
        self.redis, self.limit, self.window_s = redis, limit, window_s

    async def hit(self, client: str) -> Decision | None:
        """Count one request of ``client``; None when Redis can't be reached."""
        # TODO: at most `limit` requests in any `window_s` seconds, counted in Redis for every process.
        return Decision(True, self.limit, self.window_s, self.limit, 0)  # unlimited

"""Rate limits per API key, shared by every process: a sliding-window log in Redis.

Each key has a sorted set of the times of its counted requests. One Lua script (atomic: Redis runs
it start to finish with nothing in between) drops the times older than the window, counts the
rest, and adds this request only if there is room - so a key never gets more than RATE_LIMIT
requests in any RATE_WINDOW_SECONDS, not even across a window boundary, and refused requests
don't count. The clock is Redis's own (TIME): one clock for every process.

Redis down: the limiter fails open - requests are served, without RateLimit headers - because a
shop that refuses every customer while its cache server restarts loses more than one that is
briefly unlimited (README, 'When Redis is down').
"""

import logging
import uuid
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisDown

log = logging.getLogger(__name__)

# KEYS[1] the key's log; ARGV: window (ms), limit, a unique member for this request.
# Returns {allowed (0/1), remaining, ms until the oldest counted request leaves the window}.
SLIDING_LOG = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < limit then
    redis.call('ZADD', KEYS[1], now, ARGV[3])
    redis.call('PEXPIRE', KEYS[1], window)
    count = count + 1
    allowed = 1
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local reset = 0
if oldest[2] then
    reset = tonumber(oldest[2]) + window - now
end
return {allowed, limit - count, reset}
"""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    window_s: int
    remaining: int
    reset_s: int  # seconds until the oldest counted request leaves the window (one more is allowed)

    def headers(self) -> dict[str, str]:
        """The IETF RateLimit header fields, and Retry-After when refused."""
        headers = {
            "RateLimit-Policy": f'"default";q={self.limit};w={self.window_s}',
            "RateLimit": f'"default";r={self.remaining};t={self.reset_s}',
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.reset_s)
        return headers


class RateLimiter:
    def __init__(self, redis: Redis, limit: int, window_s: int):
        self.limit, self.window_s = limit, window_s
        self._script = redis.register_script(SLIDING_LOG)

    async def hit(self, client: str) -> Decision | None:
        """Count one request of ``client``; None when Redis can't be reached (fail open)."""
        try:
            allowed, remaining, reset_ms = await self._script(
                keys=[f"ratelimit:{client}"], args=[self.window_s * 1000, self.limit, uuid.uuid4().hex]
            )
        except RedisDown as exc:
            log.warning("Redis unavailable, request of %r not rate limited: %s", client, exc)
            return None
        reset_s = max(1, -(-int(reset_ms) // 1000))  # whole seconds, rounded up
        return Decision(bool(allowed), self.limit, self.window_s, int(remaining), reset_s)

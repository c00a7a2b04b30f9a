"""Rate limits per API key: a sliding-window log kept as a capped list of the last RATE_LIMIT
request times (newest first), checked and appended in one Lua script on Redis's clock."""

import logging
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# KEYS[1] the list; ARGV: window (ms), limit -> {allowed, remaining, ms until the oldest counted leaves}
CAPPED_LOG = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local times = redis.call('LRANGE', KEYS[1], 0, limit - 1)
local recent = {}
for _, v in ipairs(times) do
    if tonumber(v) > now - window then table.insert(recent, tonumber(v)) end
end
local allowed = 0
if #recent < limit then
    redis.call('LPUSH', KEYS[1], now)
    redis.call('LTRIM', KEYS[1], 0, limit - 1)
    redis.call('PEXPIRE', KEYS[1], window)
    table.insert(recent, 1, now)
    allowed = 1
end
return {allowed, limit - #recent, recent[#recent] + window - now}
"""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    window_s: int
    remaining: int
    reset_s: int

    def headers(self) -> dict[str, str]:
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
        self._script = redis.register_script(CAPPED_LOG)

    async def hit(self, client: str) -> Decision | None:
        try:
            allowed, remaining, reset_ms = await self._script(
                keys=[f"ratelog:{client}"], args=[self.window_s * 1000, self.limit]
            )
        except RedisError as exc:
            log.warning("Redis down, not limiting %r: %s", client, exc)
            return None
        return Decision(bool(allowed), self.limit, self.window_s, int(remaining), max(1, -(-int(reset_ms) // 1000)))

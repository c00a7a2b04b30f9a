"""Rate limits per API key: a sliding-window log - in a dict of this process."""

import math
import time
from collections import defaultdict, deque
from dataclasses import dataclass

from redis.asyncio import Redis


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
        self._logs: dict[str, deque[float]] = defaultdict(deque)

    async def hit(self, client: str) -> Decision | None:
        now, log = time.monotonic(), self._logs[client]
        while log and log[0] <= now - self.window_s:
            log.popleft()
        allowed = len(log) < self.limit
        if allowed:
            log.append(now)
        # The age first: log[0] + window - now can round to a hair above the window (then t=3601).
        reset_s = max(1, math.ceil(self.window_s - (now - log[0])))
        return Decision(allowed, self.limit, self.window_s, self.limit - len(log), reset_s)

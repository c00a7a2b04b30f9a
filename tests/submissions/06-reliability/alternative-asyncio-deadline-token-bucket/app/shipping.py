"""Another correct design: the deadline is one asyncio.timeout() around the whole lookup (attempts
and waits), each attempt still has its own httpx timeout; the retry budget is a token bucket; the
retry loop is a small generic helper."""

import asyncio
import logging
import random
from dataclasses import dataclass
from typing import Literal

import httpx
from app.breaker import CircuitBreaker
from app.core.config import Settings
from app.observability import FALLBACKS, REQUEST_ID_HEADER, current_request_id

log = logging.getLogger("app.shipping")


class ShippingRefused(Exception):
    def __init__(self, status: int, title: str):
        super().__init__(title)
        self.status, self.title = status, title


class Retryable(Exception):
    """An attempt that failed in a way that may succeed next time."""


class NoMoreAttempts(Exception):
    pass


@dataclass(frozen=True)
class Rate:
    cents: int
    source: Literal["live", "fallback"]


class TokenBucket:
    """MIN tokens to start with, RATIO more per lookup; a retry takes one."""

    def __init__(self, ratio: float, minimum: int):
        self.ratio, self.tokens = ratio, float(minimum)

    def deposit(self) -> None:
        self.tokens += self.ratio

    def take(self) -> bool:
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class ShippingClient:
    def __init__(self, settings: Settings, http: httpx.AsyncClient):
        self.settings, self.http = settings, http
        self.breaker = CircuitBreaker(settings.breaker_failures, settings.breaker_cooldown_s)
        self.bucket = TokenBucket(settings.retry_budget_ratio, settings.retry_budget_min)

    async def _attempt(self, postcode: str, items: int) -> int:
        if not self.breaker.allow():
            raise NoMoreAttempts("breaker open")
        try:
            response = await self.http.get(
                f"{self.settings.shipping_url}/rates",
                params={"postcode": postcode, "items": items},
                headers={REQUEST_ID_HEADER: current_request_id()},
                timeout=self.settings.shipping_timeout_s,
            )
            if response.status_code in (429, 500, 502, 503, 504):
                raise Retryable(f"status {response.status_code}")
            if response.status_code >= 400:
                self.breaker.success()
                raise ShippingRefused(response.status_code, response.json().get("title", "refused"))
            cents = int(response.json()["cents"])
        except (httpx.TransportError, ValueError, KeyError, Retryable) as exc:
            self.breaker.failure()
            raise Retryable(str(exc)) from exc
        except asyncio.CancelledError:  # the deadline cut this attempt short: a failed attempt
            self.breaker.failure()
            raise
        self.breaker.success()
        return cents

    async def _with_retries(self, postcode: str, items: int) -> int:
        s = self.settings
        self.bucket.deposit()
        for retry in range(s.shipping_retries + 1):
            if retry:
                if not self.bucket.take():
                    raise NoMoreAttempts("retry budget used up")
                await asyncio.sleep(random.uniform(0, min(s.backoff_max_s, s.backoff_base_s * 2 ** (retry - 1))))
            try:
                return await self._attempt(postcode, items)
            except Retryable as exc:
                log.warning("shipping attempt failed", extra={"retry": retry, "error": str(exc)})
        raise NoMoreAttempts("every attempt failed")

    async def rate(self, postcode: str, items: int) -> Rate:
        try:
            async with asyncio.timeout(self.settings.shipping_deadline_s):
                return Rate(await self._with_retries(postcode, items), "live")
        except (NoMoreAttempts, TimeoutError) as exc:
            FALLBACKS.inc()
            log.warning("shipping rate: fallback", extra={"why": str(exc) or "deadline"})
            return Rate(self.settings.fallback_shipping_cents, "fallback")

"""The checkout's one call to the shipping-rates service, made safe: a timeout on every attempt,
a deadline over all of them, retries of what may succeed next time (with capped, fully jittered
backoff, within a budget), a circuit breaker, and a fallback rate that says it is one."""

import asyncio
import logging
import random
import time
from dataclasses import dataclass
from typing import Literal

import httpx
from app.breaker import CircuitBreaker
from app.core.config import Settings
from app.observability import FALLBACKS, REQUEST_ID_HEADER, current_request_id

log = logging.getLogger("app.shipping")
RETRYABLE_STATUSES = {429, 500, 502, 503, 504}


class ShippingRefused(Exception):
    """The service answered a 4xx: our request is wrong (a postcode it doesn't serve). Final."""

    def __init__(self, status: int, title: str):
        super().__init__(title)
        self.status, self.title = status, title


@dataclass(frozen=True)
class Rate:
    cents: int
    source: Literal["live", "fallback"]


class RetryBudget:
    """Retries are extra load on a service that is already struggling: allow at most
    ``minimum + ratio * lookups`` of them since the process started (a real service would count
    over a sliding window)."""

    def __init__(self, ratio: float, minimum: int):
        self.ratio, self.minimum = ratio, minimum
        self.lookups = self.retries = 0

    def lookup(self) -> None:
        self.lookups += 1

    def try_retry(self) -> bool:
        if self.retries + 1 > self.minimum + self.ratio * self.lookups:
            return False
        self.retries += 1
        return True


class ShippingClient:
    def __init__(self, settings: Settings, http: httpx.AsyncClient):
        self.settings, self.http = settings, http
        self.breaker = CircuitBreaker(settings.breaker_failures, settings.breaker_cooldown_s)  # one per process
        self.budget = RetryBudget(settings.retry_budget_ratio, settings.retry_budget_min)
        # The last live rate seen for a (postcode, items): a better fallback than a flat rate
        # (the lesson: "the last rate seen ... (a cache, marked stale)").
        self.last_live: dict[tuple[str, int], int] = {}

    def backoff_s(self, retry: int) -> float:
        """Full jitter (AWS): uniform over [0, min(max, base * 2 ** (retry - 1))]."""
        s = self.settings
        return random.uniform(0, min(s.backoff_max_s, s.backoff_base_s * 2 ** (retry - 1)))

    async def rate(self, postcode: str, items: int) -> Rate:
        s = self.settings
        deadline = time.monotonic() + s.shipping_deadline_s
        self.budget.lookup()
        for attempt in range(s.shipping_retries + 1):
            if attempt:
                pause = self.backoff_s(attempt)
                if time.monotonic() + pause >= deadline or not self.budget.try_retry():
                    break
                await asyncio.sleep(pause)
            if not self.breaker.allow():
                break
            remaining = deadline - time.monotonic()
            try:
                # One timeout for every phase (connect, write, read - each read - and pool), never
                # more than what is left of the deadline.
                response = await self.http.get(
                    f"{s.shipping_url}/rates",
                    params={"postcode": postcode, "items": items},
                    headers={REQUEST_ID_HEADER: current_request_id()},
                    timeout=httpx.Timeout(max(0.001, min(s.shipping_timeout_s, remaining))),
                )
                if response.status_code < 400:
                    cents = int(response.json()["cents"])
            # Timeouts are TransportErrors; a body that is not {"cents": <a number>} (not JSON, no
            # "cents", null, a list) is a failed call too, never a 500 of ours (R10).
            except (httpx.TransportError, ValueError, KeyError, TypeError) as exc:
                self.breaker.failure()
                log.warning("shipping call failed", extra={"attempt": attempt + 1, "error": type(exc).__name__})
                continue
            if response.status_code < 400:
                self.breaker.success()
                self.last_live[(postcode, items)] = cents
                return Rate(cents, "live")
            if response.status_code not in RETRYABLE_STATUSES:
                self.breaker.success()  # the service is up: it answered, and our request was wrong
                raise ShippingRefused(response.status_code, _title(response))
            self.breaker.failure()
            log.warning("shipping call failed", extra={"attempt": attempt + 1, "status": response.status_code})
        FALLBACKS.inc()
        log.warning("shipping rate: fallback", extra={"breaker": self.breaker.state.name.lower()})
        return Rate(self.last_live.get((postcode, items), s.fallback_shipping_cents), "fallback")


def _title(response: httpx.Response) -> str:
    try:
        return str(response.json().get("title") or response.reason_phrase)
    except ValueError:
        return response.reason_phrase

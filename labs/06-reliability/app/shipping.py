"""The checkout's one call to the shipping-rates service. Make it safe: a timeout on every attempt,
a deadline over all of them, retries of what may succeed next time (capped, jittered backoff,
within a budget), the circuit breaker, and a fallback rate that says it is one (README, 'Timeouts
and the deadline', 'Retries', 'The circuit breaker')."""

from dataclasses import dataclass
from typing import Literal

import httpx

from app.breaker import CircuitBreaker
from app.core.config import Settings


class ShippingRefused(Exception):
    """The service answered a 4xx: our request is wrong (a postcode it doesn't serve). Final."""

    def __init__(self, status: int, title: str):
        super().__init__(title)
        self.status, self.title = status, title


@dataclass(frozen=True)
class Rate:
    cents: int
    source: Literal["live", "fallback"]


class ShippingClient:
    def __init__(self, settings: Settings, http: httpx.AsyncClient):
        self.settings, self.http = settings, http
        self.breaker = CircuitBreaker(settings.breaker_failures, settings.breaker_cooldown_s)

    async def rate(self, postcode: str, items: int) -> Rate:
        """The live rate (GET {SHIPPING_URL}/rates?postcode=...&items=...), or the fallback one.

        Today's version (don't ship it): no timeout, no retry, no breaker, no fallback:

            response = await self.http.get(f"{self.settings.shipping_url}/rates",
                                           params={"postcode": postcode, "items": items}, timeout=None)
            return Rate(response.json()["cents"], "live")
        """
        raise NotImplementedError("TODO: ShippingClient.rate - README, 'Timeouts and the deadline' and 'Retries'")

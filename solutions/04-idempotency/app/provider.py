"""The client for the payment provider (provider/app.py documents its API). Provided - don't change.

Three outcomes, and the third is the one that matters:
- ``charge(...)`` returns the charge: the money moved;
- ``ProviderDeclined``: the provider answered "no" - a final answer, safe to store and replay;
- ``ProviderUnavailable``: a timeout, a dropped connection, a 5xx, a 409. We DON'T KNOW whether the
  card was charged. Only calling again with the same idempotency key can find out safely.
"""

import httpx

from app.core.config import Settings


class ProviderDeclined(Exception):
    def __init__(self, answer: dict):
        super().__init__(answer.get("title", "declined"))
        self.answer = answer


class ProviderUnavailable(Exception):
    pass


def charge(
    settings: Settings, *, idempotency_key: str, amount_cents: int, currency: str, card: str, reference: str
) -> dict:
    try:
        response = httpx.post(
            f"{settings.provider_url}/charges",
            json={"amount_cents": amount_cents, "currency": currency, "card": card, "reference": reference},
            headers={"Idempotency-Key": idempotency_key},
            timeout=settings.provider_timeout_s,
        )
    except httpx.HTTPError as exc:  # timeouts and dropped connections
        raise ProviderUnavailable(f"{type(exc).__name__}: {exc}") from None
    if response.status_code in (200, 201):
        return response.json()
    if response.status_code == 402:
        raise ProviderDeclined(response.json())
    raise ProviderUnavailable(f"the provider answered {response.status_code}")

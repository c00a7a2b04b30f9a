"""Settings, read from the environment when the app starts (never at import time).

Every timer and threshold is a setting, so that a test (or you) can scale real time down."""

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    database_path: str  # the SQLite file the orders live in
    shipping_url: str  # the shipping-rates service
    shipping_timeout_s: float  # one call to it: connecting, sending, waiting for and reading the answer
    shipping_deadline_s: float  # every attempt and every wait between them, together
    shipping_retries: int  # attempts after the first one, at most
    backoff_base_s: float  # before retry n (1, 2...): a random wait in [0, min(max, base * 2 ** (n - 1))]
    backoff_max_s: float
    retry_budget_ratio: float  # retries made <= retry_budget_min + retry_budget_ratio * lookups started
    retry_budget_min: int
    breaker_failures: int  # this many failed calls in a row open the breaker...
    breaker_cooldown_s: float  # ...for this long; then one probe call may go through
    fallback_shipping_cents: int  # the rate charged when the live one can't be had


def load_settings() -> Settings:
    env = os.environ.get
    return Settings(
        database_path=env("DATABASE_PATH", "orders.db"),
        shipping_url=env("SHIPPING_URL", "http://127.0.0.1:8002").rstrip("/"),
        shipping_timeout_s=float(env("SHIPPING_TIMEOUT_SECONDS", "1.0")),
        shipping_deadline_s=float(env("SHIPPING_DEADLINE_SECONDS", "2.5")),
        shipping_retries=int(env("SHIPPING_RETRIES", "2")),
        backoff_base_s=float(env("RETRY_BACKOFF_BASE_SECONDS", "0.1")),
        backoff_max_s=float(env("RETRY_BACKOFF_MAX_SECONDS", "1.0")),
        retry_budget_ratio=float(env("RETRY_BUDGET_RATIO", "0.1")),
        retry_budget_min=int(env("RETRY_BUDGET_MIN", "10")),
        breaker_failures=int(env("BREAKER_FAILURES", "5")),
        breaker_cooldown_s=float(env("BREAKER_COOLDOWN_SECONDS", "10")),
        fallback_shipping_cents=int(env("FALLBACK_SHIPPING_CENTS", "999")),
    )

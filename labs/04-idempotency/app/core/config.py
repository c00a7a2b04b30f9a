"""Settings, read from the environment when the app is created (never at import time)."""

import os
from dataclasses import dataclass
from pathlib import Path
from tempfile import gettempdir


@dataclass(frozen=True)
class Settings:
    database_url: str
    provider_url: str
    provider_timeout_s: float
    # How long a key and its stored response are kept (Stripe: 24 hours).
    ttl_s: float
    # How long a request may hold its key before the key counts as abandoned and a retry takes
    # it over. Keep it above provider_timeout_s.
    lock_s: float


def load_settings() -> Settings:
    default_db = f"sqlite:///{Path(gettempdir()) / 'duckshop-payments.db'}"
    return Settings(
        database_url=os.environ.get("DATABASE_URL", default_db),
        provider_url=os.environ.get("PROVIDER_URL", "http://127.0.0.1:8001").rstrip("/"),
        provider_timeout_s=float(os.environ.get("PROVIDER_TIMEOUT_SECONDS", "2")),
        ttl_s=float(os.environ.get("IDEMPOTENCY_TTL_SECONDS", str(24 * 3600))),
        lock_s=float(os.environ.get("IDEMPOTENCY_LOCK_SECONDS", "10")),
    )

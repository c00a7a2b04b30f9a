"""Settings, read from the environment when the app is created (never at import time)."""

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import gettempdir

CLIENT_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True)
class Settings:
    database_url: str
    provider_url: str
    provider_timeout_s: float
    # How long a key and its stored response are kept, counted from the key's first request
    # (Stripe: 24 hours).
    ttl_s: float
    # How long a request may hold its key before the key counts as abandoned and a retry takes
    # it over. Keep it above provider_timeout_s.
    lock_s: float
    # The API keys of the shop's clients: API key -> client id. Whoever presents an API key is
    # that client; a header the client fills in itself (say X-Client-Id) would prove nothing.
    api_keys: dict[str, str] = field(default_factory=dict, repr=False)


def parse_api_keys(text: str) -> dict[str, str]:
    """``"web:sk_test_web,app:sk_test_app"`` -> ``{"sk_test_web": "web", "sk_test_app": "app"}``."""
    keys = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        client, _, api_key = entry.partition(":")
        if not CLIENT_ID.match(client) or not api_key:
            raise ValueError(f"API_KEYS: {entry!r} is not client:api-key")
        keys[api_key] = client
    return keys


def load_settings() -> Settings:
    default_db = f"sqlite:///{Path(gettempdir()) / 'duckshop-payments.db'}"
    return Settings(
        database_url=os.environ.get("DATABASE_URL", default_db),
        provider_url=os.environ.get("PROVIDER_URL", "http://127.0.0.1:8001").rstrip("/"),
        provider_timeout_s=float(os.environ.get("PROVIDER_TIMEOUT_SECONDS", "2")),
        ttl_s=float(os.environ.get("IDEMPOTENCY_TTL_SECONDS", str(24 * 3600))),
        lock_s=float(os.environ.get("IDEMPOTENCY_LOCK_SECONDS", "10")),
        api_keys=parse_api_keys(os.environ.get("API_KEYS", "")),
    )

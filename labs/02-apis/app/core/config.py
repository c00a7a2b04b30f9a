"""Settings from the environment: the same code runs on a laptop, in CI and in production."""

import hashlib
import hmac
import os
import secrets
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


def derive_key(secret: str, purpose: str) -> bytes:
    """One key per purpose, all from one secret: a signed cursor can never pass for a signed token."""
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()


@dataclass(frozen=True)
class Settings:
    database_url: str
    token_key: bytes  # signs access tokens: whoever holds it can log in as anyone
    cursor_key: bytes  # signs pagination cursors
    token_ttl_s: int  # how long an access token stays valid
    scrypt_n: int  # scrypt's cost (memory: 128 * n * r bytes)
    token_issuer: str = "duckshop"
    token_audience: str = "duckshop-api"
    page_size_default: int = 20
    page_size_max: int = 100
    max_body_bytes: int = 64 * 1024


@lru_cache
def get_settings() -> Settings:
    tmp = Path(os.environ.get("TMPDIR") or tempfile.gettempdir())
    # No hard-coded default secret: without SECRET_KEY, tokens last as long as the process.
    secret = os.environ.get("SECRET_KEY") or secrets.token_urlsafe(32)
    return Settings(
        database_url=os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'duckshop-02.db'}",
        token_key=derive_key(secret, "duckshop access tokens"),
        cursor_key=derive_key(secret, "duckshop cursors"),
        token_ttl_s=int(os.environ.get("ACCESS_TOKEN_TTL_S", "900")),
        scrypt_n=int(os.environ.get("SCRYPT_N", str(2**17))),  # OWASP's minimum: N=2**17, r=8, p=1
    )

"""Settings from the environment: the same code runs on a laptop, in CI and in production."""

import os
import secrets
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str  # signs tokens and cursors: anyone who knows it can forge both
    token_ttl_s: int  # how long an access token stays valid
    page_size_default: int = 20
    page_size_max: int = 100


@lru_cache
def get_settings() -> Settings:
    tmp = Path(os.environ.get("TMPDIR") or tempfile.gettempdir())
    return Settings(
        database_url=os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'duckshop-02.db'}",
        # No hard-coded default secret: without SECRET_KEY, tokens last as long as the process.
        secret_key=os.environ.get("SECRET_KEY") or secrets.token_urlsafe(32),
        token_ttl_s=int(os.environ.get("ACCESS_TOKEN_TTL_S", "900")),
    )

"""Settings from the environment, read when needed (never at import time)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    database_url: str
    smtp_host: str
    smtp_port: int
    mail_from: str


def get_settings() -> Settings:
    default_db = Path(os.environ.get("TMPDIR", ".")) / "duckshop-jobs.db"
    return Settings(
        database_url=os.environ.get("DATABASE_URL", f"sqlite:///{default_db}"),
        smtp_host=os.environ.get("SMTP_HOST", "127.0.0.1"),
        smtp_port=int(os.environ.get("SMTP_PORT", "8025")),
        mail_from=os.environ.get("MAIL_FROM", "orders@duckshop.example"),
    )

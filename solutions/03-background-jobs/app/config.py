"""Settings from the environment, read when needed (never at import time).

Every time the worker waits for (lease, poll, backoff) has a default here and an environment
variable, so tests and demos can run the same code with shorter waits.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    database_url: str
    smtp_host: str
    smtp_port: int
    smtp_timeout_s: float
    mail_from: str
    lease_s: float  # JOB_LEASE_S: how long a claim holds a job without a heartbeat
    poll_s: float  # JOB_POLL_S: how long an idle worker waits before it claims again
    backoff_base_s: float  # JOB_BACKOFF_BASE_S
    backoff_cap_s: float  # JOB_BACKOFF_CAP_S
    select_delay_s: float  # JOBS_SELECT_DELAY_S: tests only, see db.py


def _seconds(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def get_settings() -> Settings:
    default_db = Path(os.environ.get("TMPDIR", ".")) / "duckshop-jobs.db"
    return Settings(
        database_url=os.environ.get("DATABASE_URL", f"sqlite:///{default_db}"),
        smtp_host=os.environ.get("SMTP_HOST", "127.0.0.1"),
        smtp_port=int(os.environ.get("SMTP_PORT", "8025")),
        smtp_timeout_s=_seconds("SMTP_TIMEOUT_S", 30.0),
        mail_from=os.environ.get("MAIL_FROM", "orders@duckshop.example"),
        lease_s=_seconds("JOB_LEASE_S", 30.0),
        poll_s=_seconds("JOB_POLL_S", 1.0),
        backoff_base_s=_seconds("JOB_BACKOFF_BASE_S", 1.0),
        backoff_cap_s=_seconds("JOB_BACKOFF_CAP_S", 300.0),
        select_delay_s=_seconds("JOBS_SELECT_DELAY_S", 0.0),
    )

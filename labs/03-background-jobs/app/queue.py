"""The durable job queue: a `jobs` table, claimed with leases.

Life of a job: enqueue (status "queued") -> claim (status "running", a lease until
`locked_until`) -> heartbeat while it runs -> ack ("done"), or fail -> "queued" again later
(backoff), or "dead" after `max_attempts` claims. A job whose lease ran out (its worker
crashed) is claimable again: delivery is at-least-once, so handlers must be idempotent.

Times are Unix seconds (time.time()) stored as floats. See README.md, "The contract".
"""

from __future__ import annotations

import random  # noqa: F401  (you'll want it for the jitter)
import time  # noqa: F401
from typing import Any

from sqlalchemy import Connection, and_, or_, select, update  # noqa: F401

from .db import get_engine
from .models import Job  # noqa: F401


def enqueue(conn: Connection, kind: str, payload: dict[str, Any], *, delay_s: float = 0.0, max_attempts: int = 5) -> int:
    """Add a job using the caller's connection (their transaction); return its id."""
    raise NotImplementedError("TODO: insert a queued job due at now + delay_s, with conn (see README.md)")


def submit(kind: str, payload: dict[str, Any], *, delay_s: float = 0.0, max_attempts: int = 5) -> int:
    """Enqueue in a transaction of its own (for jobs that go with no business write)."""
    with get_engine().begin() as conn:
        return enqueue(conn, kind, payload, delay_s=delay_s, max_attempts=max_attempts)


def claim(worker_id: str, lease_s: float) -> dict[str, Any] | None:
    """Take the next due job for `lease_s` seconds, or None if there is none."""
    raise NotImplementedError("TODO: pick and lock the next due job in one step (see README.md)")


def heartbeat(job_id: int, worker_id: str, lease_s: float) -> bool:
    """Extend our lease; False if the job is no longer ours."""
    raise NotImplementedError("TODO: move locked_until to now + lease_s if we still hold the job (see README.md)")


def ack(job_id: int, worker_id: str) -> bool:
    """Mark our job done; False if it is no longer ours."""
    raise NotImplementedError("TODO: mark the job done if we still hold it (see README.md)")


def backoff_delay(attempt: int, base_s: float, cap_s: float) -> float:
    """Capped exponential backoff with full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
    raise NotImplementedError("TODO: capped exponential backoff with full jitter (see README.md)")


def fail(job_id: int, worker_id: str, error: str, *, base_s: float = 1.0, cap_s: float = 300.0) -> str:
    """Record a failed run: "retry" (queued again after a backoff) or "dead" (out of attempts)."""
    raise NotImplementedError("TODO: retry later with backoff_delay, or dead-letter after max_attempts (see README.md)")

"""The durable job queue: a `jobs` table, claimed with leases.

Life of a job: enqueue ("queued") -> claim ("running", a lease until `locked_until`, attempt
number + 1) -> heartbeat while it runs -> ack ("done"), or fail -> "queued" again later
(backoff), or "dead" (out of attempts, or a permanent error). A job whose lease ran out (its
worker crashed or hung) is claimable again: delivery is at-least-once, so handlers must be
idempotent.

The attempt number is the job's fencing token: each claim makes a new one, and heartbeat,
ack and fail act only if the caller's attempt is still the current one. A worker that was
paused past its lease (and replaced) can no longer change the job, whatever its worker id.
"""

from __future__ import annotations

import random  # noqa: F401  (you'll want it for the jitter)
import time  # noqa: F401
from typing import Any, Literal

from sqlalchemy import Connection, and_, func, or_, select, update  # noqa: F401

from .db import get_engine
from .models import Job  # noqa: F401

LEASE_EXPIRED = "LeaseExpired: the worker stopped heartbeating (crashed or hung) on the job's last attempt"


def enqueue(
    conn: Connection, kind: str, payload: dict[str, Any], *, delay_s: float = 0.0, max_attempts: int = 5
) -> int:
    """Add a job using the caller's connection (their transaction); return its id."""
    raise NotImplementedError("TODO: insert a queued job due at now + delay_s, with conn (README, R1-R2)")


def submit(kind: str, payload: dict[str, Any], *, delay_s: float = 0.0, max_attempts: int = 5) -> int:
    """Enqueue in a transaction of its own (for jobs that go with no business write)."""
    with get_engine().begin() as conn:
        return enqueue(conn, kind, payload, delay_s=delay_s, max_attempts=max_attempts)


def claim(worker_id: str, lease_s: float) -> dict[str, Any] | None:
    """Take the next due job for `lease_s` seconds, or None if there is none."""
    raise NotImplementedError("TODO: pick and mark the next due job in one atomic step (README, R3-R7)")


def heartbeat(job_id: int, attempt: int, lease_s: float) -> bool:
    """Extend our lease; False if the job is no longer ours (attempt is the fencing token)."""
    raise NotImplementedError("TODO: move locked_until to now + lease_s if attempt is current (README, R8-R9)")


def ack(job_id: int, attempt: int) -> bool:
    """Mark our job done; False if it is no longer ours."""
    raise NotImplementedError("TODO: mark the job done if attempt is still current (README, R8, R10)")


def backoff_delay(attempt: int, base_s: float, cap_s: float) -> float:
    """Capped exponential backoff with full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
    raise NotImplementedError("TODO: capped exponential backoff with full jitter (README, R11)")


def fail(
    job_id: int,
    attempt: int,
    error: str,
    *,
    permanent: bool = False,
    base_s: float = 1.0,
    cap_s: float = 300.0,
) -> Literal["retry", "dead", "lost"]:
    """Record a failed run: "retry" (queued again after a backoff) or "dead" (a dead letter)."""
    raise NotImplementedError("TODO: retry later with backoff_delay, or dead-letter (README, R8, R12-R13)")


def stats() -> dict[str, float]:
    """What to alert on: jobs per status, and how long the oldest due job has been waiting."""
    raise NotImplementedError("TODO: counts per status and the age of the oldest due job (README, R14)")

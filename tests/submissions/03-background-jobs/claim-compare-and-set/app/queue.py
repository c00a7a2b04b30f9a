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

import random
import time
from typing import Any, Literal

from sqlalchemy import Connection, and_, func, or_, select, update

from .db import get_engine
from .models import Job

LEASE_EXPIRED = "LeaseExpired: the worker stopped heartbeating (crashed or hung) on the job's last attempt"


def enqueue(
    conn: Connection, kind: str, payload: dict[str, Any], *, delay_s: float = 0.0, max_attempts: int = 5
) -> int:
    """Add a job using the caller's connection: it commits or rolls back with their transaction."""
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    now = time.time()
    job = {
        "kind": kind,
        "payload": payload,
        "status": "queued",
        "attempts": 0,
        "max_attempts": max_attempts,
        "run_at": now + max(0.0, delay_s),
        "created_at": now,
    }
    return conn.execute(Job.__table__.insert().values(**job).returning(Job.id)).scalar_one()


def submit(kind: str, payload: dict[str, Any], *, delay_s: float = 0.0, max_attempts: int = 5) -> int:
    """Enqueue in a transaction of its own (for jobs that go with no business write)."""
    with get_engine().begin() as conn:
        return enqueue(conn, kind, payload, delay_s=delay_s, max_attempts=max_attempts)


def claim(worker_id: str, lease_s: float) -> dict[str, Any] | None:
    """Take the next due job for `lease_s` seconds, or None if there is none.

    One transaction picks and marks: on PostgreSQL `FOR UPDATE SKIP LOCKED` makes concurrent
    workers skip each other's rows instead of waiting or double-claiming; on SQLite the
    whole transaction holds the single write lock (BEGIN IMMEDIATE, see db.py), and
    SQLAlchemy leaves FOR UPDATE out.
    """
    now = time.time()
    expired = and_(Job.status == "running", Job.locked_until < now)
    due = or_(and_(Job.status == "queued", Job.run_at <= now), expired)
    candidates = select(Job.id, Job.attempts).where(due).order_by(Job.run_at, Job.id).limit(1)
    with get_engine().begin() as conn:
        conn.execute(
            update(Job)
            .where(expired, Job.attempts >= Job.max_attempts)
            .values(status="dead", finished_at=now, locked_by=None, locked_until=None, last_error=LEASE_EXPIRED)
        )
    for _ in range(1000):  # each lost race means another worker made progress
        with get_engine().begin() as conn:
            candidate = conn.execute(candidates).first()
        if candidate is None:
            return None
        # Compare and set: the UPDATE wins only if nobody claimed the job since we read it (its
        # attempts, the fencing token, is unchanged and it is still due).
        with get_engine().begin() as conn:
            row = conn.execute(
                update(Job)
                .where(Job.id == candidate.id, Job.attempts == candidate.attempts, due)
                .values(status="running", locked_by=worker_id, locked_until=now + lease_s, attempts=Job.attempts + 1)
                .returning(Job.id, Job.kind, Job.payload, Job.attempts, Job.max_attempts)
            ).one_or_none()
        if row is not None:
            break
    else:
        return None
    return {
        "id": row.id,
        "kind": row.kind,
        "payload": row.payload,
        "attempts": row.attempts,
        "max_attempts": row.max_attempts,
        "worker_id": worker_id,
    }


def _current(job_id: int, attempt: int):
    """The caller's attempt is still the job's current one (the fencing token matches)."""
    return and_(Job.id == job_id, Job.status == "running", Job.attempts == attempt)


def heartbeat(job_id: int, attempt: int, lease_s: float) -> bool:
    """Extend our lease; False if the job is no longer ours."""
    with get_engine().begin() as conn:
        result = conn.execute(update(Job).where(_current(job_id, attempt)).values(locked_until=time.time() + lease_s))
    return result.rowcount == 1


def ack(job_id: int, attempt: int) -> bool:
    """Mark our job done; False if it is no longer ours (our lease expired and someone took it)."""
    with get_engine().begin() as conn:
        result = conn.execute(
            update(Job)
            .where(_current(job_id, attempt))
            .values(status="done", locked_by=None, locked_until=None, finished_at=time.time())
        )
    return result.rowcount == 1


def backoff_delay(attempt: int, base_s: float, cap_s: float) -> float:
    """Capped exponential backoff with full jitter: uniform in [0, min(cap, base * 2**attempt)].

    The jitter spreads retries of many jobs that failed together over the whole window, so
    they don't hit a recovering dependency again all at the same moment.
    """
    return random.uniform(0.0, min(cap_s, base_s * 2.0**attempt))


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
    with get_engine().begin() as conn:
        job = conn.execute(select(Job.max_attempts).where(_current(job_id, attempt))).one_or_none()
        if job is None:
            return "lost"  # our lease expired and another worker owns the job now
        dead = permanent or attempt >= job.max_attempts
        changes: dict[str, Any] = {"locked_by": None, "locked_until": None, "last_error": error[:2000]}
        if dead:
            changes.update(status="dead", finished_at=time.time())
        else:
            changes.update(status="queued", run_at=time.time() + backoff_delay(attempt, base_s, cap_s))
        conn.execute(update(Job).where(_current(job_id, attempt)).values(**changes))
    return "dead" if dead else "retry"


def stats() -> dict[str, float]:
    """What to alert on: jobs per status, and how long the oldest due job has been waiting."""
    now = time.time()
    with get_engine().connect() as conn:
        counts = dict(conn.execute(select(Job.status, func.count()).group_by(Job.status)).all())
        oldest = conn.execute(select(func.min(Job.run_at)).where(Job.status == "queued", Job.run_at <= now)).scalar()
    return {
        **{status: counts.get(status, 0) for status in ("queued", "running", "done", "dead")},
        "oldest_due_s": 0.0 if oldest is None else now - oldest,
    }

"""The durable job queue: a `jobs` table, claimed with leases.

Life of a job: enqueue (status "queued") -> claim (status "running", a lease until
`locked_until`) -> heartbeat while it runs -> ack ("done"), or fail -> "queued" again later
(backoff), or "dead" after `max_attempts` claims. A job whose lease ran out (its worker
crashed) is claimable again: delivery is at-least-once, so handlers must be idempotent.
"""

from __future__ import annotations

import random
import time
from typing import Any

from sqlalchemy import Connection, and_, or_, select, update

from .db import get_engine
from .models import Job


def enqueue(conn: Connection, kind: str, payload: dict[str, Any], *, delay_s: float = 0.0, max_attempts: int = 5) -> int:
    """Add a job using the caller's connection: it commits or rolls back with their transaction."""
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    now = time.time()
    job = {"kind": kind, "payload": payload, "status": "queued", "attempts": 0, "max_attempts": max_attempts,
           "run_at": now + max(0.0, delay_s), "created_at": now}
    return conn.execute(Job.__table__.insert().values(**job).returning(Job.id)).scalar_one()


def submit(kind: str, payload: dict[str, Any], *, delay_s: float = 0.0, max_attempts: int = 5) -> int:
    """Enqueue in a transaction of its own (for jobs that go with no business write)."""
    with get_engine().begin() as conn:
        return enqueue(conn, kind, payload, delay_s=delay_s, max_attempts=max_attempts)


def claim(worker_id: str, lease_s: float) -> dict[str, Any] | None:
    """Take the next due job for `lease_s` seconds, or None if there is none.

    One statement picks and locks: on PostgreSQL `FOR UPDATE SKIP LOCKED` makes concurrent
    workers skip each other's rows instead of waiting or double-claiming; on SQLite the
    whole transaction holds the single write lock (BEGIN IMMEDIATE, see db.py), and
    SQLAlchemy leaves FOR UPDATE out.
    """
    now = time.time()
    due = or_(
        and_(Job.status == "queued", Job.run_at <= now),
        and_(Job.status == "running", Job.locked_until < now),  # its worker died: lease expired
    )
    next_job = select(Job.id).where(due).order_by(Job.run_at, Job.id).limit(1).with_for_update(skip_locked=True)
    with get_engine().begin() as conn:
        job_id = conn.execute(next_job).scalar()
        if job_id is None:
            return None
        row = conn.execute(
            update(Job).where(Job.id == job_id)
            .values(status="running", locked_by=worker_id, locked_until=now + lease_s, attempts=Job.attempts + 1)
            .returning(Job.id, Job.kind, Job.payload, Job.attempts, Job.max_attempts)
        ).one()
    return {"id": row.id, "kind": row.kind, "payload": row.payload, "attempts": row.attempts,
            "max_attempts": row.max_attempts, "worker_id": worker_id}


def _mine(job_id: int, worker_id: str):
    """The job is still ours: running and leased to us (another worker may have taken it over)."""
    return and_(Job.id == job_id, Job.status == "running", Job.locked_by == worker_id)


def heartbeat(job_id: int, worker_id: str, lease_s: float) -> bool:
    """Extend our lease; False if the job is no longer ours."""
    with get_engine().begin() as conn:
        result = conn.execute(update(Job).where(_mine(job_id, worker_id)).values(locked_until=time.time() + lease_s))
    return result.rowcount == 1


def ack(job_id: int, worker_id: str) -> bool:
    """Mark our job done; False if it is no longer ours (our lease expired and someone took it)."""
    with get_engine().begin() as conn:
        result = conn.execute(
            update(Job).where(_mine(job_id, worker_id))
            .values(status="done", locked_by=None, locked_until=None, finished_at=time.time())
        )
    return result.rowcount == 1


def backoff_delay(attempt: int, base_s: float, cap_s: float) -> float:
    """Capped exponential backoff with full jitter: uniform in [0, min(cap, base * 2**attempt)].

    The jitter spreads retries of many jobs that failed together over the whole window, so
    they don't hit a recovering dependency again all at the same moment.
    """
    return random.uniform(0.0, min(cap_s, base_s * 2.0 ** attempt))


def fail(job_id: int, worker_id: str, error: str, *, base_s: float = 1.0, cap_s: float = 300.0) -> str:
    """Record a failed run: "retry" (queued again after a backoff) or "dead" (out of attempts)."""
    with get_engine().begin() as conn:
        job = conn.execute(select(Job.attempts, Job.max_attempts).where(_mine(job_id, worker_id))).one_or_none()
        if job is None:
            return "lost"  # our lease expired and another worker owns the job now
        dead = False  # BUG: retries forever, a poison job never leaves the queue
        changes = {"locked_by": None, "locked_until": None, "last_error": error[:2000]}
        if dead:
            changes.update(status="dead", finished_at=time.time())
        else:
            changes.update(status="queued", run_at=time.time() + backoff_delay(job.attempts, base_s, cap_s))
        conn.execute(update(Job).where(Job.id == job_id).values(**changes))
    return "dead" if dead else "retry"

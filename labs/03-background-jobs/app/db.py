"""Engines, made on demand and cached per URL; `init_db()` creates the tables."""

from __future__ import annotations

import re
import threading
import time
from functools import lru_cache

from sqlalchemy import Engine, create_engine, event

from .config import get_settings
from .models import Base


@lru_cache
def get_engine(url: str | None = None) -> Engine:
    settings = get_settings()
    url = url or settings.database_url
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
    else:
        engine = create_engine(url, pool_pre_ping=True)
    if settings.select_delay_s > 0:
        _widen_race_windows(engine, settings.select_delay_s)
    if url.startswith("sqlite"):
        _begin_immediate(engine)
    return engine


def _begin_immediate(engine: Engine) -> None:
    # SQLite has one writer at a time. Python's sqlite3 starts transactions lazily (BEGIN
    # DEFERRED): two workers could both read the same queued job before either writes. BEGIN
    # IMMEDIATE takes the write lock up front, so read-then-update is one atomic step.
    @event.listens_for(engine, "connect")
    def _no_implicit_begin(dbapi_connection, _record):
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


_READS_JOBS = re.compile(r"\s*(SELECT|WITH)\b.*\bFROM\s+jobs\b", re.IGNORECASE | re.DOTALL)
_WRITES = re.compile(r"\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


def _widen_race_windows(engine: Engine, delay_s: float) -> None:
    """For tests (JOBS_SELECT_DELAY_S): pause between reading a job and whatever comes next.

    A claim that reads a job in one step and marks it in another then hands the job to two
    workers in every run, not once in a while; a claim that is one atomic step is only slower.
    """
    read_jobs_last = threading.local()  # this thread read jobs, and has written nothing since

    @event.listens_for(engine, "after_cursor_execute")
    def _after_statement(_conn, _cursor, statement, *_args):
        if _READS_JOBS.match(statement):
            read_jobs_last.value = True
            if engine.dialect.name != "sqlite":
                time.sleep(delay_s)  # PostgreSQL: a plain SELECT locks nothing, so the gap is here
        elif _WRITES.match(statement):
            read_jobs_last.value = False

    # And after a transaction that read jobs and wrote nothing, before this thread's next one
    # begins: what it locked (SQLite's one write lock, a row FOR UPDATE) is free again, and the
    # job it read is still queued. (Registered before BEGIN IMMEDIATE, so the lock is not held.)
    @event.listens_for(engine, "begin")
    def _before_next_transaction(_connection):
        if getattr(read_jobs_last, "value", False):
            read_jobs_last.value = False
            time.sleep(delay_s)


def init_db() -> None:
    """Create the tables if they don't exist (safe to call from several processes)."""
    Base.metadata.create_all(get_engine())

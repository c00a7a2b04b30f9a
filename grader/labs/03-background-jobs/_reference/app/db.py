"""Engines, made on demand and cached per URL; `init_db()` creates the tables."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Engine, create_engine, event

from .config import get_settings
from .models import Base


@lru_cache
def get_engine(url: str | None = None) -> Engine:
    url = url or get_settings().database_url
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": 30})

    # SQLite has one writer at a time. Python's sqlite3 starts transactions lazily (BEGIN
    # DEFERRED): two workers could both read the same queued job before either writes. BEGIN
    # IMMEDIATE takes the write lock up front, so read-then-update is one atomic step.
    @event.listens_for(engine, "connect")
    def _no_implicit_begin(dbapi_connection, _record):
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def init_db() -> None:
    """Create the tables if they don't exist (safe to call from several processes)."""
    Base.metadata.create_all(get_engine())

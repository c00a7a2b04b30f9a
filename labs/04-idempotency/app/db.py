"""The database engine: created by the app at startup (never at import time)."""

from sqlalchemy import Engine, create_engine, event

from app.models import Base


def create_db_engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=30)
    else:
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            dbapi_connection.isolation_level = None  # let us issue BEGIN ourselves
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            dbapi_connection.execute("PRAGMA busy_timeout=30000")

        @event.listens_for(engine, "begin")
        def _on_begin(connection):
            # SQLite has one writer at a time. BEGIN IMMEDIATE takes the write lock up front, so
            # two transactions never both read and then fail to upgrade to writing ("database is locked").
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    Base.metadata.create_all(engine)
    return engine

"""Fixtures of the Lab 01 suite: a fresh database per test, on SQLite and on PostgreSQL.

The learner's code gets the database URL as an argument; the suite inspects the same database
through its own, trusted connection (``Db.engine``), never through learner code.
"""

from __future__ import annotations

import os
import sqlite3
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from _helpers import Db, call, trusted_engine


@pytest.fixture
def new_db(request, sandbox):
    """``new_db("sqlite" | "postgres")`` -> an empty database both sides can use."""
    dropped = []

    def make(kind: str) -> Db:
        name = f"t_{uuid.uuid4().hex[:12]}"
        if kind == "sqlite":
            # The learner runs as another user with umask 077: a world-writable folder and
            # database file (SQLite gives its journals the file's mode) keep it readable here.
            folder = os.path.join(sandbox.scratch_dir, name)
            os.mkdir(folder)
            os.chmod(folder, 0o777)
            path = os.path.join(folder, "shop.db")
            sqlite3.connect(path).close()
            os.chmod(path, 0o666)
            url = f"sqlite:///{path}"
        else:
            server = request.getfixturevalue("postgres_url")
            admin = create_engine(server, poolclass=NullPool, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f"CREATE DATABASE {name}"))
            dropped.append((admin, name))
            url = server.rsplit("/", 1)[0] + f"/{name}"
        return Db(kind, url, trusted_engine(url))

    yield make
    for admin, name in dropped:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
def schema_db(new_db, learner):
    """``schema_db(kind)`` -> a database holding the schema of the learner's models."""

    def make(kind: str) -> Db:
        db = new_db(kind)
        call(learner, "app.db:create_schema", db.url)
        return db

    return make

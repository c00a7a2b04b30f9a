"""Fixtures of the Lab 01 suite: a database of its own for every test, on SQLite and PostgreSQL.

Each is a copy of a template built once per engine (a file copy on SQLite, CREATE DATABASE ...
TEMPLATE on PostgreSQL): the schema of the learner's models, and optionally the seeded shop.
The learner's code gets the database URL as an argument; the suite inspects the same database
through its own, trusted connection (``Db.engine``), never through learner code.
"""

from __future__ import annotations

import copy
import itertools
import os
import shutil
import sqlite3
import uuid

import pytest
from _helpers import FIRST_CALL_S, Db, Shop, seed, trusted_engine
from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.pool import NullPool

from grader.testing import LearnerCrash, LearnerError, fail


class Databases:
    """Makes the databases of a whole run; templates are built on first use and kept."""

    def __init__(self, sandbox, learner, request):
        self.learner, self.request = learner, request
        self.root = os.path.join(sandbox.scratch_dir, f"lab01-{uuid.uuid4().hex[:8]}")
        os.mkdir(self.root)
        os.chmod(self.root, 0o755)  # templates live here: the learner's user can read, not change them
        self.counter = itertools.count()
        self.templates: dict[tuple[str, bool], tuple[str, MetaData, Shop | None] | str] = {}  # or why not
        self._admin = None

    # --- engines -------------------------------------------------------------------------------

    @property
    def admin(self):
        if self._admin is None:
            server = self.request.getfixturevalue("postgres_url")
            self._admin = (server, create_engine(server, poolclass=NullPool, isolation_level="AUTOCOMMIT"))
        return self._admin

    def _pg_url(self, name: str) -> str:
        return self.admin[0].rsplit("/", 1)[0] + f"/{name}"

    def _sql(self, statement: str) -> None:
        with self.admin[1].connect() as conn:
            conn.execute(text(statement))

    def _sqlite_file(self) -> str:
        # The learner runs as another user with umask 077: a world-writable folder and database
        # file (SQLite gives its journals the file's mode) let both sides read and write it.
        folder = os.path.join(self.root, f"db{next(self.counter)}")
        os.mkdir(folder)
        os.chmod(folder, 0o777)
        return os.path.join(folder, "shop.db")

    # --- databases -----------------------------------------------------------------------------

    def empty(self, kind: str) -> Db:
        if kind == "sqlite":
            path = self._sqlite_file()
            sqlite3.connect(path).close()
            os.chmod(path, 0o666)
            return Db(kind, f"sqlite:///{path}", trusted_engine(f"sqlite:///{path}"))
        name = f"t{next(self.counter)}_{uuid.uuid4().hex[:8]}"
        self._sql(f"CREATE DATABASE {name} TEMPLATE template0")
        return Db(kind, self._pg_url(name), trusted_engine(self._pg_url(name)), name)

    def copy(self, kind: str, seeded: bool) -> tuple[Db, Shop | None]:
        template = self.templates.get((kind, seeded))
        if template is None:
            template = self.templates[(kind, seeded)] = self._build(kind, seeded)
        if isinstance(template, str):
            fail(template)  # the same one-line reason for every test that needs it, at once
        source, tables, shop = template
        shop = copy.deepcopy(shop)  # tests add orders to their copy of the shop
        if kind == "sqlite":
            path = self._sqlite_file()
            shutil.copyfile(source, path)
            os.chmod(path, 0o666)
            return Db(kind, f"sqlite:///{path}", trusted_engine(f"sqlite:///{path}"), reflected=tables), shop
        name = f"t{next(self.counter)}_{uuid.uuid4().hex[:8]}"
        self._sql(f"CREATE DATABASE {name} TEMPLATE {source} STRATEGY FILE_COPY")
        return Db(kind, self._pg_url(name), trusted_engine(self._pg_url(name)), name, reflected=tables), shop

    def _build(self, kind: str, seeded: bool) -> tuple[str, MetaData, Shop | None] | str:
        """A template: the schema of the learner's models (``app.db:create_schema``), then the shop."""
        if seeded:
            base = self.copy(kind, seeded=False)[0]
        else:
            base = self.empty(kind)
            try:
                self.learner.call("app.db:create_schema", base.url, timeout_s=FIRST_CALL_S)
            except (LearnerError, LearnerCrash) as exc:
                return f"app.db:create_schema(url) - the schema of your models - failed: {str(exc)[:300]}"
        try:
            tables = base.tables()
            shop = seed(base) if seeded else None
        except Exception as exc:  # the learner's schema refused the suite's rows
            return f"the suite could not insert the shop's rows into the schema of your models: {str(exc)[:300]}"
        finally:
            base.engine.dispose()
        if kind == "sqlite":
            path = base.url.removeprefix("sqlite:///")
            source = os.path.join(self.root, f"template-{'seeded' if seeded else 'schema'}.db")
            os.replace(path, source)
            os.chmod(source, 0o644)
            return source, tables, shop
        # No connection may stay open to a template (the learner's pool keeps some): close them,
        # and let nobody connect again.
        self._sql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{base.name}'")
        self._sql(f"ALTER DATABASE {base.name} ALLOW_CONNECTIONS false")
        return base.name, tables, shop

    def drop(self, db: Db) -> None:
        db.engine.dispose()
        if db.kind == "postgres":
            self._sql(f"DROP DATABASE IF EXISTS {db.name} WITH (FORCE)")
        else:
            shutil.rmtree(os.path.dirname(db.url.removeprefix("sqlite:///")), ignore_errors=True)


@pytest.fixture(scope="session")
def databases(sandbox, learner, request):
    return Databases(sandbox, learner, request)


@pytest.fixture
def _made(databases):
    made: list[Db] = []
    yield made
    for db in made:
        databases.drop(db)


@pytest.fixture
def new_db(databases, _made):
    """``new_db("sqlite" | "postgres")`` -> an empty database."""

    def make(kind: str) -> Db:
        made = databases.empty(kind)
        _made.append(made)
        return made

    return make


@pytest.fixture
def schema_db(databases, _made):
    """``schema_db(kind)`` -> a database holding the schema of the learner's models."""

    def make(kind: str) -> Db:
        made = databases.copy(kind, seeded=False)[0]
        _made.append(made)
        return made

    return make


@pytest.fixture
def seeded_db(databases, _made):
    """``seeded_db(kind)`` -> (a database with the learner's schema and the seeded shop, the shop)."""

    def make(kind: str) -> tuple[Db, Shop]:
        made, shop = databases.copy(kind, seeded=True)
        _made.append(made)
        return made, shop

    return make

"""Run the Alembic migrations in migrations/ against a database. Provided: don't change it.

    upgrade("sqlite:///shop.db")            # to the newest revision ("head")
    upgrade("sqlite:///shop.db", "0001")    # or to a given one
    downgrade("sqlite:///shop.db", "0001")  # back to a revision ("base" = empty)
    current("sqlite:///shop.db")            # the revision the database is at, or None

From a shell: ``alembic -x url=sqlite:///shop.db upgrade head``.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from .db import engine_for

ROOT = Path(__file__).resolve().parent.parent


def _config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["url"] = url  # read by migrations/env.py
    return config


def upgrade(url: str, revision: str = "head") -> str | None:
    command.upgrade(_config(url), revision)
    return current(url)


def downgrade(url: str, revision: str) -> str | None:
    command.downgrade(_config(url), revision)
    return current(url)


def current(url: str) -> str | None:
    with engine_for(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()

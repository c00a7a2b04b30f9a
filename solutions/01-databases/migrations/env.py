"""Alembic's entry point: connect, then run the migration scripts in versions/. Provided."""

from alembic import context
from app.db import engine_for

config = context.config
url = config.attributes.get("url") or context.get_x_argument(as_dictionary=True).get("url")
if not url:
    raise SystemExit("no database URL: use app.migrate.upgrade(url) or `alembic -x url=... upgrade head`")

with engine_for(url).connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode rebuilds a table on SQLite (copy, drop, rename). With foreign keys on,
        # dropping `orders` would delete every order line (ON DELETE CASCADE): off while the
        # migrations run (it can't change inside a transaction), checked when they are done.
        connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
        connection.commit()
    try:
        # target_metadata stays None: the migrations in versions/ are written by hand, on purpose.
        context.configure(connection=connection, target_metadata=None)
        with context.begin_transaction():
            context.run_migrations()
            if sqlite and (broken := connection.exec_driver_sql("PRAGMA foreign_key_check").all()):
                raise RuntimeError(f"the migration left rows whose foreign keys point nowhere: {broken[:5]}")
    finally:
        if sqlite:
            connection.rollback()
            connection.exec_driver_sql("PRAGMA foreign_keys = ON")
            connection.commit()

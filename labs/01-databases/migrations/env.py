"""Alembic's entry point: connect, then run the migration scripts in versions/. Provided."""

from alembic import context

from app.db import engine_for

config = context.config
url = config.attributes.get("url") or context.get_x_argument(as_dictionary=True).get("url")
if not url:
    raise SystemExit("no database URL: use app.migrate.upgrade(url) or `alembic -x url=... upgrade head`")

with engine_for(url).connect() as connection:
    # target_metadata stays None: the migrations in versions/ are written by hand, on purpose.
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()

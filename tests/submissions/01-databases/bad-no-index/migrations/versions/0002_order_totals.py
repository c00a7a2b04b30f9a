"""Order totals (a new column, backfilled) and the index for a customer's order history.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NOT NULL needs a value for the rows already there: a server default gives one at once,
    # then the backfill computes the real totals, in the database, in one statement.
    op.add_column("orders", sa.Column("total_cents", sa.Integer(), nullable=False, server_default="0"))
    op.execute(
        "UPDATE orders SET total_cents = COALESCE((SELECT SUM(quantity * unit_price_cents)"
        " FROM order_items WHERE order_items.order_id = orders.id), 0)"
    )
    # The default was only for the backfill: without it, an INSERT that forgets the total fails
    # (NOT NULL) instead of storing a wrong 0. Batch mode: SQLite rebuilds the table to drop a
    # default (migrations/env.py keeps its foreign keys from cascading meanwhile).
    with op.batch_alter_table("orders") as batch:
        batch.alter_column("total_cents", server_default=None)
    # WRONG (on purpose): no index for a customer's order history.


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("total_cents")

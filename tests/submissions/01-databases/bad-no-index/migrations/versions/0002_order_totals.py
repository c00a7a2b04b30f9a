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
    # NOT NULL needs a value for the rows already there: the server default gives one at once,
    # then the backfill computes the real totals, in the database, in one statement.
    op.add_column("orders", sa.Column("total_cents", sa.Integer(), nullable=False, server_default="0"))
    op.execute(
        "UPDATE orders SET total_cents = COALESCE((SELECT SUM(quantity * unit_price_cents)"
        " FROM order_items WHERE order_items.order_id = orders.id), 0)"
    )
    # WRONG (on purpose): no index for a customer's order history.


def downgrade() -> None:
    op.drop_column("orders", "total_cents")

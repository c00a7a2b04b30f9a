"""Order totals (a new column, backfilled) and the index for a customer's order history.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa  # noqa: F401 - you will need them
from alembic import op  # noqa: F401

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    raise NotImplementedError(
        "TODO: migration 0002: add orders.total_cents (NOT NULL, backfilled from the order lines, then without its"
        " default) and the history index (see README.md, 'Migrations')"
    )


def downgrade() -> None:
    raise NotImplementedError("TODO: migration 0002: drop the index and the column (see README.md, 'Migrations')")

"""The shop's schema, from an empty database.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa  # noqa: F401 - you will need them
from alembic import op  # noqa: F401

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    raise NotImplementedError(
        "TODO: migration 0001: create the four tables with their constraints (see README.md, 'Migrations')"
    )


def downgrade() -> None:
    raise NotImplementedError("TODO: migration 0001: drop the tables, children first (see README.md, 'Migrations')")

"""an index on works.status: the withdrawn works are counted before every near-copy check

Revision ID: 0014_works_status_index
Revises: 0013_near_copies
"""

from __future__ import annotations

from alembic import op

revision = "0014_works_status_index"
down_revision = "0013_near_copies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Without it the count scans every work, once per import batch: quadratic in the pool.
    op.create_index("ix_works_status", "works", ["status"])


def downgrade() -> None:
    op.drop_index("ix_works_status", table_name="works")

"""near copies: works' MinHash signatures, and near copies found at registration

Revision ID: 0013_near_copies
Revises: 0012_leverage
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_near_copies"
down_revision = "0012_leverage"
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "work_signatures",
        sa.Column("work_id", _BIG, nullable=False),
        sa.Column("sig", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"]),
        sa.PrimaryKeyConstraint("work_id"),
    )
    op.create_table(
        "near_copies",
        sa.Column("id", _BIG, nullable=False),
        sa.Column("work_id", _BIG, nullable=False),
        sa.Column("copy_of", _BIG, nullable=False),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"]),
        sa.ForeignKeyConstraint(["copy_of"], ["works.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("work_id"),
    )
    op.create_index("ix_near_copies_copy_of", "near_copies", ["copy_of"])
    op.create_index("ix_near_copies_state", "near_copies", ["state"])


def downgrade() -> None:
    op.drop_index("ix_near_copies_state", table_name="near_copies")
    op.drop_index("ix_near_copies_copy_of", table_name="near_copies")
    op.drop_table("near_copies")
    op.drop_table("work_signatures")

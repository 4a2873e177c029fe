"""leverage: stored leverage runs (learning curves, data strike, price range)

Revision ID: 0012_leverage
Revises: 0011_work_media
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_leverage"
down_revision = "0011_work_media"
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "leverage_runs",
        sa.Column("id", _BIG, nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("seed", _BIG, nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("snapshot_size", _BIG, nullable=False),
        sa.Column("snapshot_root", sa.String(length=100), nullable=False),
        sa.Column("outside_digest", sa.String(length=71), nullable=False),
        sa.Column("splits_digest", sa.String(length=71), nullable=False),
        sa.Column("features_digest", sa.String(length=71), nullable=False),
        sa.Column("versions", sa.JSON(), nullable=False),
        sa.Column("points", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("result_digest", sa.String(length=71), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("log_index", _BIG, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("leverage_runs")

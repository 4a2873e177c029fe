"""valuation: runs, per-work and per-member values

Revision ID: 0004_valuation
Revises: 0003_governance
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_valuation"
down_revision = "0003_governance"
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "valuation_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("seed", _BIG, nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("snapshot_size", _BIG, nullable=False),
        sa.Column("snapshot_root", sa.String(length=100), nullable=False),
        sa.Column("corpus_digest", sa.String(length=71), nullable=False),
        sa.Column("versions", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("result_digest", sa.String(length=71), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("log_index", _BIG, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "valuation_work_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("holders", sa.JSON(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("stderr", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["valuation_runs.id"]),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "work_id"),
    )
    op.create_index(
        "ix_valuation_work_values_run_id", "valuation_work_values", ["run_id"], unique=False
    )
    op.create_index(
        "ix_valuation_work_values_work_id", "valuation_work_values", ["work_id"], unique=False
    )
    op.create_table(
        "valuation_member_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("works_valued", sa.Integer(), nullable=False),
        sa.Column("value_sum", sa.Float(), nullable=False),
        sa.Column("stderr_sum", sa.Float(), nullable=False),
        sa.Column("value_group", sa.Float(), nullable=True),
        sa.Column("stderr_group", sa.Float(), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("rank_low", sa.Integer(), nullable=False),
        sa.Column("rank_high", sa.Integer(), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"]),
        sa.ForeignKeyConstraint(["run_id"], ["valuation_runs.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "member_id"),
    )
    op.create_index(
        "ix_valuation_member_values_run_id", "valuation_member_values", ["run_id"], unique=False
    )
    op.create_index(
        "ix_valuation_member_values_member_id",
        "valuation_member_values",
        ["member_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_valuation_member_values_member_id", table_name="valuation_member_values")
    op.drop_index("ix_valuation_member_values_run_id", table_name="valuation_member_values")
    op.drop_table("valuation_member_values")
    op.drop_index("ix_valuation_work_values_work_id", table_name="valuation_work_values")
    op.drop_index("ix_valuation_work_values_run_id", table_name="valuation_work_values")
    op.drop_table("valuation_work_values")
    op.drop_table("valuation_runs")

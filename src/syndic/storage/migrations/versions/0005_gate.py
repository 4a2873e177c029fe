"""gate: crawl decisions, pay-per-crawl charges, challenges

Revision ID: 0005_gate
Revises: 0004_valuation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_gate"
down_revision = "0004_valuation"
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "gate_decisions",
        sa.Column("id", _BIG, nullable=False),
        sa.Column("site", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("agent", sa.String(length=200), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("licensee_id", sa.Integer(), nullable=True),
        sa.Column("agreement_id", sa.Integer(), nullable=True),
        sa.Column("charged_minor", _BIG, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("charge_nonce", sa.String(length=200), nullable=True),
        sa.Column("log_index", _BIG, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("charge_nonce"),
    )
    op.create_index("ix_gate_decisions_site_at", "gate_decisions", ["site", "at"])
    op.create_table(
        "gate_spent_challenges",
        sa.Column("challenge_id", sa.String(length=64), nullable=False),
        sa.Column("spent_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("challenge_id"),
    )


def downgrade() -> None:
    op.drop_table("gate_spent_challenges")
    op.drop_index("ix_gate_decisions_site_at", table_name="gate_decisions")
    op.drop_table("gate_decisions")

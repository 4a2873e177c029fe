"""crawl settlements: pay-per-crawl money collected from a crawler, credited to site members

Revision ID: 0006_crawl_settlements
Revises: 0005_gate
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_crawl_settlements"
down_revision = "0005_gate"
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # the member whose site the gate guards (None for a policy with `member: any`)
    op.add_column("gate_decisions", sa.Column("member_id", sa.Integer(), nullable=True))
    op.create_table(
        "crawl_settlements",
        sa.Column("id", _BIG, nullable=False),
        sa.Column("agent", sa.String(length=200), nullable=False),
        sa.Column("site", sa.String(length=100), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("amount_minor", _BIG, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("ledger_txn_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"]),
        sa.ForeignKeyConstraint(["ledger_txn_id"], ["ledger_txns.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_crawl_settlements_agent", "crawl_settlements", ["agent"])


def downgrade() -> None:
    op.drop_index("ix_crawl_settlements_agent", table_name="crawl_settlements")
    op.drop_table("crawl_settlements")
    with op.batch_alter_table("gate_decisions") as batch:
        batch.drop_column("member_id")

"""payment ids: each payout's stable id (what the rail deduplicates on) and its ledger posting

Revision ID: 0010_payment_ids
Revises: 0009_detection
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_payment_ids"
down_revision = "0009_detection"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payouts") as batch:
        batch.add_column(sa.Column("payment_id", sa.String(length=64), nullable=True))
        batch.add_column(
            sa.Column(
                "ledger_txn_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
    # a payout from before payment ids is known to the rail by its old reference
    op.execute("UPDATE payouts SET payment_id = rail_reference WHERE payment_id IS NULL")
    with op.batch_alter_table("payouts") as batch:
        batch.alter_column("payment_id", existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint("uq_payouts_payment_id", ["payment_id"])
        batch.create_foreign_key(
            "fk_payouts_ledger_txn_id", "ledger_txns", ["ledger_txn_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("payouts") as batch:
        batch.drop_constraint("fk_payouts_ledger_txn_id", type_="foreignkey")
        batch.drop_constraint("uq_payouts_payment_id", type_="unique")
        batch.drop_column("ledger_txn_id")
        batch.drop_column("payment_id")

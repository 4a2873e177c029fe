"""bigint ids: every id (and every count the API admits) is BIGINT on PostgreSQL

The API admits ids up to 2^63-1, which SQLite's INTEGER holds but PostgreSQL's INTEGER (32-bit)
does not; a larger id reached the database and failed there. SQLite is left as it is. The
sequences behind the primary keys are widened too, or they would stop at 2^31-1.

Revision ID: 0008_bigint_ids
Revises: 0007_web_sessions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_bigint_ids"
down_revision = "0007_web_sessions"
branch_labels = None
depends_on = None

COLUMNS: dict[str, tuple[str, ...]] = {
    "access_tokens": ("agreement_id", "id"),
    "agreement_works": ("agreement_id", "id", "work_id"),
    "agreements": ("deal_id", "id", "licensee_id"),
    "api_keys": ("id", "subject_id"),
    "charters": ("proposal_id", "version"),
    "coalition": ("id",),
    "crawl_settlements": ("ledger_txn_id", "member_id"),
    "deal_offers": ("deal_id", "id"),
    "deals": ("id", "licensee_id"),
    "delegations": ("delegate_id", "id", "member_id"),
    "deliveries": ("agreement_id", "id"),
    "gate_decisions": ("agreement_id", "licensee_id", "member_id"),
    "ledger_lines": ("id", "txn_id"),
    "ledger_txns": ("id",),
    "licensees": ("id",),
    "log_head": ("id",),
    "members": ("id",),
    "payouts": ("id", "member_id"),
    "proposal_ballots": ("id", "member_id", "proposal_id"),
    "proposals": ("id", "subject_id"),
    "signin_links": ("id", "subject_id"),
    "statements": ("agreement_id", "id", "member_id"),
    "terms_versions": ("log_index", "version"),
    "valuation_member_values": (
        "id",
        "member_id",
        "rank",
        "rank_high",
        "rank_low",
        "run_id",
        "works_valued",
    ),
    "valuation_runs": ("id",),
    "valuation_work_values": ("id", "run_id", "work_id"),
    "voice_credit_spends": ("id", "member_id", "proposal_id"),
    "work_shares": ("id", "member_id", "work_id"),
    "web_sessions": ("id", "link_id", "subject_id"),
    "works": ("id", "registered_by"),
}
"""The INTEGER columns that become BIGINT, by table."""


def _alter(to: sa.types.TypeEngine[int], sequence_type: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(column, type_=to)
        for column in columns:
            seq = bind.execute(
                sa.text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table, "c": column}
            ).scalar()
            if seq is not None:
                op.execute(f"ALTER SEQUENCE {seq} AS {sequence_type}")


def upgrade() -> None:
    _alter(sa.BigInteger(), "bigint")


def downgrade() -> None:
    _alter(sa.Integer(), "integer")

"""detection and access: stored scans and their matches; licensees' usage reports

Revision ID: 0009_detection
Revises: 0008_bigint_ids
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_detection"
down_revision = "0008_bigint_ids"
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "detection_scans",
        sa.Column("id", _BIG, nullable=False),
        sa.Column("dataset", sa.Text(), nullable=False),
        sa.Column("dataset_digest", sa.String(length=80), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("index_version", sa.JSON(), nullable=False),
        sa.Column("records", _BIG, nullable=False),
        sa.Column("matches", sa.Integer(), nullable=False),
        sa.Column("canaries", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("log_index", _BIG, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "detection_matches",
        sa.Column("id", _BIG, nullable=False),
        sa.Column("scan_id", _BIG, nullable=False),
        sa.Column("position", _BIG, nullable=False),
        sa.Column("record_id", sa.Text(), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("work_id", _BIG, nullable=False),
        sa.Column("digest", sa.String(length=80), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("jaccard", sa.Float(), nullable=False),
        sa.Column("containment", sa.Float(), nullable=False),
        sa.Column("record_containment", sa.Float(), nullable=False),
        sa.Column("shared", sa.Integer(), nullable=False),
        sa.Column("span", sa.JSON(), nullable=False),
        sa.Column("record_passage", sa.Text(), nullable=False),
        sa.Column("work_passage", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["scan_id"], ["detection_scans.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_detection_matches_scan_id", "detection_matches", ["scan_id"])
    op.create_index("ix_detection_matches_work_id", "detection_matches", ["work_id"])
    op.create_table(
        "usage_reports",
        sa.Column("id", _BIG, nullable=False),
        sa.Column("agreement_id", _BIG, nullable=False),
        sa.Column("period_start", sa.DateTime(), nullable=False),
        sa.Column("period_end", sa.DateTime(), nullable=False),
        sa.Column("records_used", _BIG, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("filed_at", sa.DateTime(), nullable=False),
        sa.Column("log_index", _BIG, nullable=False),
        sa.ForeignKeyConstraint(["agreement_id"], ["agreements.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_usage_reports_agreement_id", "usage_reports", ["agreement_id"])


def downgrade() -> None:
    op.drop_index("ix_usage_reports_agreement_id", table_name="usage_reports")
    op.drop_table("usage_reports")
    op.drop_index("ix_detection_matches_work_id", table_name="detection_matches")
    op.drop_index("ix_detection_matches_scan_id", table_name="detection_matches")
    op.drop_table("detection_matches")
    op.drop_table("detection_scans")

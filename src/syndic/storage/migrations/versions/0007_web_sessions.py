"""web sessions: one-time sign-in links, browser sessions, members' e-mail addresses

Revision ID: 0007_web_sessions
Revises: 0006_crawl_settlements
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_web_sessions"
down_revision = "0006_crawl_settlements"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signin_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["link_id"], ["signin_links.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch.create_index("ix_members_email", ["email"])


def downgrade() -> None:
    # a plain ALTER TABLE (SQLite 3.35+): batch mode would copy `members`, which the works'
    # foreign keys forbid while they are enforced
    op.drop_index("ix_members_email", table_name="members")
    op.drop_column("members", "email")
    op.drop_table("web_sessions")
    op.drop_table("signin_links")

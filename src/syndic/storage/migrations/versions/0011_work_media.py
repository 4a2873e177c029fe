"""work media: each work's media type and the digest of the text extracted from it

Revision ID: 0011_work_media
Revises: 0010_payment_ids
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_work_media"
down_revision = "0010_payment_ids"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # every work before this revision was UTF-8 text stored as itself
    op.add_column(
        "works",
        sa.Column(
            "media_type",
            sa.String(length=100),
            nullable=False,
            server_default="text/plain; charset=utf-8",
        ),
    )
    # the extracted text's blob, when the original is not itself the text (PDF, HTML, DOCX)
    op.add_column("works", sa.Column("text_digest", sa.String(length=71), nullable=True))


def downgrade() -> None:
    # plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch copy would trip the foreign
    # keys that point at works
    op.drop_column("works", "text_digest")
    op.drop_column("works", "media_type")

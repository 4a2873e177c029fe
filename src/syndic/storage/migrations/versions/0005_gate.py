"""gate: crawl decisions, pay-per-crawl charges, challenges

Revision ID: 0005_gate
Revises: 0004_valuation
"""

from __future__ import annotations

revision = "0005_gate"
down_revision = "0004_valuation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # reserved: filled in by the issue that owns this part


def downgrade() -> None:
    pass

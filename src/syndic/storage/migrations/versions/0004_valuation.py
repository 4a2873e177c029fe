"""valuation: runs, per-work and per-member values

Revision ID: 0004_valuation
Revises: 0003_governance
"""

from __future__ import annotations

revision = "0004_valuation"
down_revision = "0003_governance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # reserved: filled in by the issue that owns this part


def downgrade() -> None:
    pass

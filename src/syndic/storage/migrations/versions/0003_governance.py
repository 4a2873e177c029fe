"""governance: charter, proposals, ballots, delegations; deal negotiation rounds

Revision ID: 0003_governance
Revises: 0002_provenance
"""

from __future__ import annotations

revision = "0003_governance"
down_revision = "0002_provenance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # reserved: filled in by the issue that owns this part


def downgrade() -> None:
    pass

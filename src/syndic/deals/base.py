"""What every part of ``DealService`` shares: its collaborators, the clock, and loading
the rows a move acts on (locked ``FOR UPDATE`` on PostgreSQL when the move writes)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from syndic.clock import iso
from syndic.deals.coverage import Coverage, coverage
from syndic.deals.models import Agreement, Deal, Licensee
from syndic.deals.states import NEGOTIATING, Party
from syndic.errors import Conflict, Forbidden, NotFound
from syndic.governance.mandates import is_vlop
from syndic.governance.models import Proposal, ProposalKind
from syndic.governance.service import GovernanceService
from syndic.provenance.events import EventRecorder
from syndic.storage.db import Database
from syndic.terms.models import Terms
from syndic.vault import FileVault


class DealsBase:
    def __init__(
        self,
        db: Database,
        vault: FileVault,
        events: EventRecorder,
        *,
        governance: GovernanceService,
        coalition: str,
        signing_key: Ed25519PrivateKey,
        agreements_dir: Path,
        token_ttl: timedelta,
        currency: str = "EUR",
    ) -> None:
        self.db = db
        self.vault = vault
        self.events = events
        self.governance = governance
        self.coalition = coalition
        self.signing_key = signing_key
        self.agreements_dir = agreements_dir
        self.token_ttl = token_ttl
        self.currency = currency

    def _now(self) -> datetime:
        return self.events.clock.now()

    @staticmethod
    def _licensee(s: Session, licensee_id: int) -> Licensee:
        lic = s.get(Licensee, licensee_id)
        if lic is None:
            raise NotFound(f"no licensee with id {licensee_id}")
        return lic

    def _turn(self, s: Session, deal: Deal, *, party: Party, licensee_id: int | None) -> None:
        """Refuse a move by someone who is not a party, or by the party whose turn it isn't."""
        if party is Party.LICENSEE and licensee_id != deal.licensee_id:
            raise Forbidden(f"deal {deal.id} is not this licensee's")
        if deal.status in NEGOTIATING:
            if deal.offer_by == party:
                raise Forbidden(
                    f"the latest offer on deal {deal.id} is the {party.value}'s own; "
                    f"it is the {party.other.value}'s turn"
                )
            assert deal.offer_expires_at is not None
            if self._now() >= deal.offer_expires_at:
                raise Conflict(
                    f"the offer on deal {deal.id} expired at {iso(deal.offer_expires_at)}"
                )

    def _coverage(self, s: Session, deal: Deal, consenting: list[int] | None = None) -> Coverage:
        lic = self._licensee(s, deal.licensee_id)
        charter = self.governance.charter_in(s)
        return coverage(
            s,
            scope=deal.scope,
            terms=Terms.model_validate(deal.terms),
            licensee_is_vlop=is_vlop(lic.monthly_active_users, charter.vlop_mau_threshold),
            consenting=consenting,
        )

    @staticmethod
    def _deal(s: Session, deal_id: int) -> Deal:
        deal = s.get(Deal, deal_id)
        if deal is None:
            raise NotFound(f"no deal with id {deal_id}")
        return deal

    @staticmethod
    def _agreement(s: Session, agreement_id: int) -> Agreement:
        a = s.get(Agreement, agreement_id)
        if a is None:
            raise NotFound(f"no agreement with id {agreement_id}")
        return a

    def _open_proposal(self, s: Session, deal_id: int) -> Proposal:
        p = self.governance.proposal_for(s, ProposalKind.DEAL, deal_id)
        if p is None:
            raise Conflict(f"deal {deal_id} has not been put to a vote")
        return p

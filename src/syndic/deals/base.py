"""What every part of ``DealService`` shares: its collaborators, the clock, loading the rows a
move acts on (``lock``: held ``FOR UPDATE`` until the transaction ends, on PostgreSQL; SQLite
has one writer at a time), and the market-leader clause.

Lock order, so two writers never wait on each other in a circle: deal, then its proposal,
then agreement, then members."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from syndic.clock import iso
from syndic.deals.coverage import Coverage, coverage
from syndic.deals.models import Agreement, Deal, Licensee
from syndic.deals.states import NEGOTIATING, Party
from syndic.errors import AuthError, Conflict, Forbidden, NotFound
from syndic.governance.mandates import is_vlop
from syndic.governance.models import Proposal, ProposalKind
from syndic.governance.service import GovernanceService
from syndic.keys import Signer
from syndic.provenance.events import EventRecorder
from syndic.storage.db import Database
from syndic.terms.models import PaymentType, Terms
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
        signer: Signer,
        agreements_dir: Path,
        token_ttl: timedelta,
        currency: str = "EUR",
    ) -> None:
        self.db = db
        self.vault = vault
        self.events = events
        self.governance = governance
        self.coalition = coalition
        self.signer = signer
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

    def _coverage(
        self,
        s: Session,
        deal: Deal,
        consenting: list[int] | None = None,
        *,
        vlop_mau_threshold: int | None = None,
    ) -> Coverage:
        """The works ``deal`` covers; the threshold is the charter's in force unless given
        (signing passes the one frozen when the vote opened)."""
        lic = self._licensee(s, deal.licensee_id)
        if vlop_mau_threshold is None:
            vlop_mau_threshold = self.governance.charter_in(s).vlop_mau_threshold
        return coverage(
            s,
            scope=deal.scope,
            terms=Terms.model_validate(deal.terms),
            licensee_is_vlop=is_vlop(lic.monthly_active_users, vlop_mau_threshold),
            consenting=consenting,
        )

    @staticmethod
    def _deal(s: Session, deal_id: int, *, lock: bool = False) -> Deal:
        deal = s.get(Deal, deal_id, with_for_update=lock or None, populate_existing=lock)
        if deal is None:
            raise NotFound(f"no deal with id {deal_id}")
        return deal

    @staticmethod
    def _agreement(s: Session, agreement_id: int, *, lock: bool = False) -> Agreement:
        a = s.get(Agreement, agreement_id, with_for_update=lock or None, populate_existing=lock)
        if a is None:
            raise NotFound(f"no agreement with id {agreement_id}")
        return a

    def _open_proposal(self, s: Session, deal_id: int, *, lock: bool = False) -> Proposal:
        p = self.governance.proposal_for(s, ProposalKind.DEAL, deal_id, lock=lock)
        if p is None:
            raise Conflict(f"deal {deal_id} has not been put to a vote")
        return p

    # --- the market-leader clause ----------------------------------------------------------
    @staticmethod
    def _needs_negotiation(lic: Licensee, threshold: int) -> bool:
        """A builder at or above the threshold of monthly active users is a very large
        platform: only a licence negotiated with the coalition covers it."""
        return is_vlop(lic.monthly_active_users, threshold)

    def _refuse_open_terms(
        self,
        lic: Licensee,
        terms: Mapping[str, Any],
        *,
        threshold: int,
        open_licence: str | None,
        error: type[Forbidden] | type[AuthError] = Forbidden,
    ) -> None:
        """The open terms (no price: free or attribution only) are for small builders; a very
        large platform is refused them, whatever the deal or agreement says."""
        if on_open_terms(terms) and self._needs_negotiation(lic, threshold):
            named = f" ({open_licence})" if open_licence else ""
            raise error(
                f"licensee {lic.id} is a very large platform ({lic.monthly_active_users} "
                f"monthly active users, the charter's threshold is {threshold}): it needs a "
                f"negotiated licence with a price, not the open terms{named}"
            )


def on_open_terms(terms: Mapping[str, Any]) -> bool:
    """Terms with no price (free, or attribution only): what the charter's open licence gives
    small builders."""
    free = (PaymentType.FREE.value, PaymentType.ATTRIBUTION.value)
    return terms.get("payment_type") in free and not terms.get("amount_minor")

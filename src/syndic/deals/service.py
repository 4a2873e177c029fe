"""Use cases for a bargaining round: licensee -> offers and counter-offers -> the members'
vote under the charter -> an agreement signed by both parties -> access tokens -> metered
delivery.

Every move is checked against the state machine in ``deals.states`` and made in one
transaction with its log entry. The vote itself is a governance proposal.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from syndic.canonical import canonical_bytes
from syndic.clock import iso
from syndic.deals.agreement import DOCUMENT_TYPE, file_bytes, scope_root
from syndic.deals.coverage import Coverage, coverage
from syndic.deals.models import (
    AccessToken,
    Agreement,
    AgreementStatus,
    AgreementWork,
    Deal,
    DealOffer,
    Delivery,
    Licensee,
)
from syndic.deals.offers import Offer, diff
from syndic.deals.states import NEGOTIATING, DealStatus, Party, move
from syndic.deals.views import AgreementView, DealView, Grant, LicenseeView, OfferView
from syndic.errors import AuthError, Conflict, Forbidden, InvalidInput, NotFound, VerificationError
from syndic.governance.charter import Binding, Charter
from syndic.governance.mandates import is_vlop
from syndic.governance.models import ProposalKind
from syndic.governance.service import GovernanceService
from syndic.governance.views import BallotReceipt
from syndic.keys import load_public_b64, public_b64, verify
from syndic.members.models import Share, Work
from syndic.money import Money
from syndic.provenance.events import EventRecorder
from syndic.storage.db import Database
from syndic.terms.models import Terms
from syndic.terms.rsl import render_terms
from syndic.vault import Digest, FileVault

TOKEN_PREFIX = "syl_"
CHOICES = ("yes", "no", "abstain")

__all__ = ["CHOICES", "TOKEN_PREFIX", "DealService", "hash_token", "scope_root"]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class DealService:
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

    # --- licensees -----------------------------------------------------------------------
    def register_licensee(
        self,
        *,
        name: str,
        contact: str,
        public_key: str | None = None,
        monthly_active_users: int = 0,
        actor: str = "steward",
    ) -> LicenseeView:
        name = name.strip()
        if not name or len(name) > 200:
            raise InvalidInput("a licensee name must be 1-200 characters")
        if public_key is not None:
            load_public_b64(public_key)
        if monthly_active_users < 0:
            raise InvalidInput("monthly active users cannot be negative")
        with self.db.write() as s:
            if s.scalar(select(Licensee.id).where(Licensee.name == name)) is not None:
                raise Conflict(f"a licensee named {name!r} already exists")
            lic = Licensee(
                name=name,
                contact=contact,
                public_key=public_key,
                monthly_active_users=monthly_active_users,
                created_at=self._now(),
            )
            s.add(lic)
            s.flush()
            self.events.record(
                s,
                kind="licensee.registered",
                actor=actor,
                payload={
                    "licensee": lic.id,
                    "name": name,
                    "monthly_active_users": monthly_active_users,
                    "public_key": public_key,
                },
            )
            return LicenseeView.of(lic)

    def register_key(self, licensee_id: int, public_key: str, *, actor: str) -> LicenseeView:
        """The licensee's Ed25519 public key, which must sign its agreements."""
        load_public_b64(public_key)
        with self.db.write() as s:
            lic = self._licensee(s, licensee_id)
            lic.public_key = public_key
            self.events.record(
                s,
                kind="licensee.key_registered",
                actor=actor,
                payload={"licensee": licensee_id, "public_key": public_key},
            )
            return LicenseeView.of(lic)

    def list_licensees(self) -> list[LicenseeView]:
        with self.db.read() as s:
            return [LicenseeView.of(x) for x in s.scalars(select(Licensee).order_by(Licensee.id))]

    def get_licensee(self, licensee_id: int) -> LicenseeView:
        with self.db.read() as s:
            return LicenseeView.of(self._licensee(s, licensee_id))

    @staticmethod
    def _licensee(s: Session, licensee_id: int) -> Licensee:
        lic = s.get(Licensee, licensee_id)
        if lic is None:
            raise NotFound(f"no licensee with id {licensee_id}")
        return lic

    def requires_negotiation(self, licensee_id: int) -> bool:
        """Market-leader clause: a builder at or above the charter's monthly-active-users
        threshold needs a negotiated licence; the open licence (if any) is for smaller ones."""
        with self.db.read() as s:
            lic = self._licensee(s, licensee_id)
            threshold = self.governance.charter_in(s).vlop_mau_threshold
            return is_vlop(lic.monthly_active_users, threshold)

    # --- negotiation ---------------------------------------------------------------------
    def _check_offer(self, offer: Offer) -> Offer:
        if not offer.terms.permits:
            raise InvalidInput("an offer must permit at least one usage")
        if offer.terms.currency != self.currency:
            raise InvalidInput(
                f"offers are in the coalition's currency, {self.currency}, "
                f"not {offer.terms.currency}"
            )
        return offer

    def _record_offer(
        self, s: Session, deal: Deal, offer: Offer, *, party: Party, actor: str, charter: Charter
    ) -> None:
        """The deal now carries ``offer``; the offer is kept with its diff and deadline."""
        previous = s.scalar(
            select(DealOffer).where(DealOffer.deal_id == deal.id).order_by(DealOffer.round.desc())
        )
        now = self._now()
        doc = offer.document()
        changes = diff(None if previous is None else previous.document, doc)
        if previous is not None and not changes:
            raise InvalidInput("a counter-offer must change something")
        deal.terms, deal.scope, deal.clauses = doc["terms"], doc["scope"], offer.clauses()
        deal.offer_by = party
        deal.round = (previous.round if previous else 0) + 1
        deal.offer_expires_at = now + timedelta(hours=charter.offer_valid_hours)
        idx = self.events.record(
            s,
            kind="offer.made" if previous is None else "offer.countered",
            actor=actor,
            payload={
                "deal": deal.id,
                "licensee": deal.licensee_id,
                "round": deal.round,
                "party": party.value,
                "offer": doc,
                "diff": changes,
                "expires_at": iso(deal.offer_expires_at),
            },
        )
        s.add(
            DealOffer(
                deal_id=deal.id,
                round=deal.round,
                party=party,
                actor=actor,
                document=doc,
                diff=changes,
                created_at=now,
                expires_at=deal.offer_expires_at,
                log_index=idx,
            )
        )

    def offer(
        self,
        *,
        licensee_id: int,
        terms: Terms | None = None,
        scope: list[str] | None = None,
        offer: Offer | None = None,
        actor: str,
    ) -> DealView:
        """A licensee's opening offer: it asks for a licence on these terms."""
        if offer is None:
            if terms is None:
                raise InvalidInput("an offer needs terms")
            offer = Offer(terms=terms, scope=scope or [])
        self._check_offer(offer)
        with self.db.write() as s:
            self._licensee(s, licensee_id)
            deal = self._new_deal(s, licensee_id, DealStatus.OFFERED)
            charter = self.governance.charter_in(s)
            self._record_offer(s, deal, offer, party=Party.LICENSEE, actor=actor, charter=charter)
            return DealView.of(deal)

    def draft(self, *, licensee_id: int, offer: Offer, actor: str = "steward") -> DealView:
        """The coalition prepares an offer to a licensee; ``send`` makes it an offer."""
        self._check_offer(offer)
        with self.db.write() as s:
            self._licensee(s, licensee_id)
            deal = self._new_deal(s, licensee_id, DealStatus.DRAFT)
            doc = offer.document()
            deal.terms, deal.scope, deal.clauses = doc["terms"], doc["scope"], offer.clauses()
            self.events.record(
                s,
                kind="deal.drafted",
                actor=actor,
                payload={"deal": deal.id, "licensee": licensee_id, "offer": doc},
            )
            return DealView.of(deal)

    def _new_deal(self, s: Session, licensee_id: int, status: DealStatus) -> Deal:
        deal = Deal(
            licensee_id=licensee_id,
            terms={},
            scope=[],
            clauses={},
            offer_by=Party.COALITION,
            round=0,
            offer_expires_at=None,
            status=status,
            created_at=self._now(),
            vote_closes_at=None,
            outcome=None,
        )
        s.add(deal)
        s.flush()
        return deal

    def send(self, deal_id: int, *, actor: str = "steward") -> DealView:
        with self.db.write() as s:
            deal = self._deal(s, deal_id)
            to = move(deal_id, deal.status, "send")
            offer = Offer.model_validate({"terms": deal.terms, "scope": deal.scope, **deal.clauses})
            charter = self.governance.charter_in(s)
            self._record_offer(s, deal, offer, party=Party.COALITION, actor=actor, charter=charter)
            deal.status = to
            return DealView.of(deal)

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

    def counter(
        self,
        deal_id: int,
        offer: Offer,
        *,
        party: Party,
        licensee_id: int | None = None,
        actor: str,
    ) -> DealView:
        """A counter-offer by the party whose turn it is; it carries full terms."""
        self._check_offer(offer)
        with self.db.write() as s:
            deal = self._deal(s, deal_id)
            to = move(deal_id, deal.status, "counter")
            self._turn(s, deal, party=party, licensee_id=licensee_id)
            charter = self.governance.charter_in(s)
            self._record_offer(s, deal, offer, party=party, actor=actor, charter=charter)
            deal.status = to
            return DealView.of(deal)

    def accept(self, deal_id: int, *, licensee_id: int, actor: str) -> DealView:
        """The licensee accepts the coalition's latest offer (before the members vote on it)."""
        with self.db.write() as s:
            deal = self._deal(s, deal_id)
            to = move(deal_id, deal.status, "accept")
            self._turn(s, deal, party=Party.LICENSEE, licensee_id=licensee_id)
            deal.status = to
            self.events.record(
                s,
                kind="offer.accepted",
                actor=actor,
                payload={"deal": deal_id, "round": deal.round, "licensee": licensee_id},
            )
            return DealView.of(deal)

    def offers(self, deal_id: int) -> list[OfferView]:
        """Every offer and counter-offer on a deal, each with its diff from the one before."""
        with self.db.read() as s:
            self._deal(s, deal_id)
            rows = s.scalars(
                select(DealOffer).where(DealOffer.deal_id == deal_id).order_by(DealOffer.round)
            )
            return [OfferView.of(o) for o in rows]

    def expire_due(self, *, actor: str = "steward") -> dict[str, int]:
        """Lapse offers past their deadline and expire agreements past their end."""
        now = self._now()
        lapsed = expired = 0
        with self.db.write() as s:
            for deal in s.scalars(
                select(Deal)
                .where(Deal.status.in_(list(NEGOTIATING)), Deal.offer_expires_at <= now)
                .order_by(Deal.id)
            ):
                deal.status = move(deal.id, deal.status, "lapse")
                self.events.record(s, kind="offer.lapsed", actor=actor, payload={"deal": deal.id})
                lapsed += 1
            for a in s.scalars(
                select(Agreement)
                .where(Agreement.status == AgreementStatus.ACTIVE, Agreement.ends_at <= now)
                .order_by(Agreement.id)
            ):
                a.status = AgreementStatus.EXPIRED
                deal = self._deal(s, a.deal_id)
                deal.status = move(deal.id, deal.status, "expire")
                self.events.record(
                    s, kind="agreement.expired", actor=actor, payload={"agreement": a.id}
                )
                expired += 1
        return {"offers_lapsed": lapsed, "agreements_expired": expired}

    # --- the members' vote ---------------------------------------------------------------
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

    def coverage(self, deal_id: int) -> dict[str, Any]:
        """What the deal would cover if signed now, and who is left out and why."""
        with self.db.read() as s:
            return self._coverage(s, self._deal(s, deal_id)).summary()

    def open_vote(self, deal_id: int, *, actor: str = "steward") -> DealView:
        """Put the deal to the members under the charter's rule for deals; members are told
        first whose works the deal would leave out and why."""
        with self.db.write() as s:
            deal = self._deal(s, deal_id)
            to = move(deal_id, deal.status, "open_vote")
            if deal.status in NEGOTIATING:
                if deal.offer_by != Party.LICENSEE:
                    raise Conflict(
                        f"the licensee has not accepted the coalition's offer on deal {deal_id}"
                    )
                self._turn(s, deal, party=Party.COALITION, licensee_id=None)
            charter = self.governance.charter_in(s)
            notice = self._coverage(s, deal).summary()
            if charter.binding is Binding.OPT_IN:
                notice["binding"] = "opt-in: the deal covers only the works of members who vote yes"
            p = self.governance.open_in(
                s,
                kind=ProposalKind.DEAL,
                subject_id=deal_id,
                topic="deals",
                question={
                    "text": f"license {', '.join(deal.terms['permits'])} to licensee "
                    f"{deal.licensee_id} for "
                    f"{Money(deal.terms['amount_minor'], deal.terms['currency'])}",
                    "offer_round": deal.round,
                    "coverage": notice,
                },
                rule=charter.deal_vote,
                charter=charter,
                proposed_by=actor,
                actor=actor,
            )
            deal.status = to
            deal.vote_closes_at = p.closes_at
            return DealView.of(deal)

    def _open_proposal(self, s: Session, deal_id: int) -> Any:
        p = self.governance.proposal_for(s, ProposalKind.DEAL, deal_id)
        if p is None:
            raise Conflict(f"deal {deal_id} has not been put to a vote")
        return p

    def cast_vote(
        self,
        deal_id: int,
        *,
        member_id: int,
        choice: str | None = None,
        votes: dict[str, int] | None = None,
        actor: str | None = None,
    ) -> BallotReceipt:
        with self.db.write() as s:
            deal = self._deal(s, deal_id)
            if deal.status != DealStatus.VOTING:
                raise Conflict(f"deal {deal_id} is not open for voting (it is {deal.status})")
            return self.governance.cast_in(
                s,
                self._open_proposal(s, deal_id),
                member_id=member_id,
                choice=choice,
                votes=votes,
                actor=actor,
            )

    def close_vote(self, deal_id: int, *, actor: str = "steward", force: bool = False) -> DealView:
        """Tally under the rule the vote was opened with; approved when ``yes`` carries."""
        with self.db.write() as s:
            deal = self._deal(s, deal_id)
            if deal.status != DealStatus.VOTING:
                raise Conflict(f"deal {deal_id} is not open for voting (it is {deal.status})")
            p = self._open_proposal(s, deal_id)
            outcome = self.governance.close_in(s, p, force=force, actor=actor)
            approved = outcome["passed"] and outcome["winner"] == "yes"
            deal.status = move(deal_id, deal.status, "approve" if approved else "reject")
            deal.outcome = {
                **{k: v for k, v in outcome.items() if k not in ("delegation", "consenting")},
                "proposal": p.id,
                "approved": approved,
                "charter_version": p.charter_version,
            }
            return DealView.of(deal)

    def get_deal(self, deal_id: int) -> DealView:
        with self.db.read() as s:
            return DealView.of(self._deal(s, deal_id))

    def list_deals(self) -> list[DealView]:
        with self.db.read() as s:
            return [DealView.of(d) for d in s.scalars(select(Deal).order_by(Deal.id))]

    @staticmethod
    def _deal(s: Session, deal_id: int) -> Deal:
        deal = s.get(Deal, deal_id)
        if deal is None:
            raise NotFound(f"no deal with id {deal_id}")
        return deal

    # --- agreements ----------------------------------------------------------------------
    def sign(self, deal_id: int, *, actor: str = "steward") -> AgreementView:
        """The coalition signs the approved deal; it is active once the licensee signs too."""
        with self.db.write() as s:
            deal = self._deal(s, deal_id)
            to = move(deal_id, deal.status, "sign")
            licensee = self._licensee(s, deal.licensee_id)
            if licensee.public_key is None:
                raise Conflict(f"licensee {licensee.id} has registered no public key to sign with")
            charter = self.governance.charter_in(s)
            p = self._open_proposal(s, deal_id)
            assert p.outcome is not None
            consenting = p.outcome["consenting"] if charter.binding is Binding.OPT_IN else None
            cover = self._coverage(s, deal, consenting)
            if not cover.works:
                raise Conflict(f"deal {deal_id} covers no works once members' mandates are applied")
            start = self._now()
            terms = Terms.model_validate(deal.terms)
            end = start + timedelta(days=terms.duration_days)
            digests = sorted(w.digest for w in cover.works)
            root = scope_root(digests)
            agreement = Agreement(
                deal_id=deal_id,
                licensee_id=licensee.id,
                document=b"",
                coalition_signature="",
                licensee_signature=None,
                licensee_signed_at=None,
                scope_root=root,
                works_count=len(digests),
                starts_at=start,
                ends_at=end,
                status=AgreementStatus.PENDING,
                log_index=-1,
            )
            s.add(agreement)
            s.flush()
            document = self._document(
                agreement_id=agreement.id,
                deal=deal,
                licensee=licensee,
                charter=charter,
                proposal_outcome=p.outcome,
                proposal_id=p.id,
                cover=cover,
                digests=digests,
                root=root,
                start=start,
                end=end,
            )
            agreement.document = canonical_bytes(document)
            agreement.coalition_signature = base64.b64encode(
                self.signing_key.sign(agreement.document)
            ).decode()
            s.add_all(AgreementWork(agreement_id=agreement.id, work_id=w.id) for w in cover.works)
            deal.status = to
            agreement.log_index = self.events.record(
                s,
                kind="agreement.signed",
                actor=actor,
                payload={
                    "agreement": agreement.id,
                    "deal": deal_id,
                    "party": Party.COALITION.value,
                    "document_sha256": hashlib.sha256(agreement.document).hexdigest(),
                    "scope_root": root,
                    "works": len(digests),
                    "signature": agreement.coalition_signature,
                },
            )
            self._write_agreement_file(agreement)
            return AgreementView.of(agreement)

    def _document(
        self,
        *,
        agreement_id: int,
        deal: Deal,
        licensee: Licensee,
        charter: Charter,
        proposal_outcome: dict[str, Any],
        proposal_id: int,
        cover: Coverage,
        digests: list[str],
        root: str,
        start: datetime,
        end: datetime,
    ) -> dict[str, Any]:
        vlop = is_vlop(licensee.monthly_active_users, charter.vlop_mau_threshold)
        schedule = [
            {**i, "due_on": (start + timedelta(days=i["due_days"])).date().isoformat()}
            for i in deal.clauses["payment_schedule"]
        ]
        return {
            "type": DOCUMENT_TYPE,
            "agreement": agreement_id,
            "deal": deal.id,
            "parties": {
                "coalition": {"name": self.coalition, "public_key": public_b64(self.signing_key)},
                "licensee": {
                    "id": licensee.id,
                    "name": licensee.name,
                    "contact": licensee.contact,
                    "public_key": licensee.public_key,
                    "monthly_active_users": licensee.monthly_active_users,
                },
            },
            "terms": deal.terms,
            "price": {
                "amount_minor": deal.terms["amount_minor"],
                "currency": deal.terms["currency"],
                "payment_type": deal.terms["payment_type"],
            },
            "payment_schedule": schedule,
            "reporting": deal.clauses["reporting"],
            "dates": {"starts_at": iso(start), "ends_at": iso(end)},
            "scope": {
                "collections": deal.scope,
                "works": len(digests),
                "root": root,
                "digests": digests,
                **{k: v for k, v in cover.summary().items() if k != "works_covered"},
            },
            "market_leader_clause": {
                "threshold_monthly_active_users": charter.vlop_mau_threshold,
                "licensee_monthly_active_users": licensee.monthly_active_users,
                "licensee_is_very_large_platform": vlop,
                "open_licence_for_small_builders": charter.open_licence,
                "on_crossing_threshold": (
                    "the licensee reports it within 30 days; from then on only a licence "
                    "negotiated with the coalition covers it, and the open licence does not"
                ),
            },
            "governance": {
                "charter_version": charter.version,
                "binding": charter.binding.value,
                "proposal": proposal_id,
                "method": proposal_outcome["method"],
                "totals": proposal_outcome["totals"],
                "turnout": proposal_outcome["turnout"],
                "electorate": proposal_outcome["electorate"],
            },
        }

    def countersign(
        self, agreement_id: int, signature: str, *, licensee_id: int | None, actor: str
    ) -> AgreementView:
        """The licensee's Ed25519 signature over the exact document bytes; the agreement
        becomes active. ``licensee_id`` None: the steward records a signature sent to it."""
        with self.db.write() as s:
            a = self._agreement(s, agreement_id)
            if licensee_id is not None and licensee_id != a.licensee_id:
                raise Forbidden(f"agreement {agreement_id} is not this licensee's")
            deal = self._deal(s, a.deal_id)
            to = move(deal.id, deal.status, "countersign")
            key = json.loads(a.document)["parties"]["licensee"]["public_key"]
            try:
                raw = base64.b64decode(signature, validate=True)
            except ValueError as exc:
                raise VerificationError("the signature is not base64") from exc
            try:
                verify(load_public_b64(key), raw, a.document)
            except VerificationError as exc:
                raise VerificationError(
                    "the signature does not verify: it must be the licensee's registered key "
                    f"over the exact bytes of agreement {agreement_id}'s document"
                ) from exc
            now = self._now()
            if now >= a.ends_at:
                raise Conflict(f"agreement {agreement_id} ended at {iso(a.ends_at)}")
            a.licensee_signature = base64.b64encode(raw).decode()
            a.licensee_signed_at = now
            a.status = AgreementStatus.ACTIVE
            deal.status = to
            self.events.record(
                s,
                kind="agreement.signed",
                actor=actor,
                payload={
                    "agreement": agreement_id,
                    "deal": deal.id,
                    "party": Party.LICENSEE.value,
                    "document_sha256": hashlib.sha256(a.document).hexdigest(),
                    "signature": a.licensee_signature,
                },
            )
            self._write_agreement_file(a)
            return AgreementView.of(a)

    def terminate(self, agreement_id: int, *, reason: str, actor: str = "steward") -> AgreementView:
        if not reason.strip():
            raise InvalidInput("say why the agreement is terminated")
        with self.db.write() as s:
            a = self._agreement(s, agreement_id)
            deal = self._deal(s, a.deal_id)
            deal.status = move(deal.id, deal.status, "terminate")
            a.status = AgreementStatus.TERMINATED
            self.events.record(
                s,
                kind="agreement.terminated",
                actor=actor,
                payload={"agreement": agreement_id, "reason": reason.strip()},
            )
            return AgreementView.of(a)

    def agreement_path(self, agreement_id: int) -> Path:
        return self.agreements_dir / f"agreement-{agreement_id}.json"

    def _write_agreement_file(self, a: Agreement) -> None:
        self.agreements_dir.mkdir(parents=True, exist_ok=True)
        path = self.agreement_path(a.id)
        tmp = path.with_suffix(".json.part")
        tmp.write_bytes(self.agreement_file(a))
        tmp.replace(path)

    @staticmethod
    def agreement_file(a: Agreement) -> bytes:
        return file_bytes(json.loads(a.document), a.coalition_signature, a.licensee_signature)

    def agreement_document(self, agreement_id: int) -> bytes:
        """The exact bytes both parties sign (canonical JSON)."""
        with self.db.read() as s:
            return self._agreement(s, agreement_id).document

    def agreement_file_bytes(self, agreement_id: int) -> bytes:
        with self.db.read() as s:
            return self.agreement_file(self._agreement(s, agreement_id))

    def rsl(self, agreement_id: int, *, base_url: str) -> str:
        """The agreement as an RSL 1.0 licence: its terms over exactly its licensed dataset,
        pointing at the signed agreement file for the scope and the parties."""
        with self.db.read() as s:
            a = self._agreement(s, agreement_id)
            doc = json.loads(a.document)
        base = base_url.rstrip("/")
        return render_terms(
            Terms.model_validate(doc["terms"]),
            content_urls=[f"{base}/v1/agreements/{agreement_id}/dataset.jsonl"],
            server=f"{base}/v1/agreements/{agreement_id}/tokens",
            terms_url=f"{base}/v1/agreements/{agreement_id}/file",
        )

    def get_agreement(self, agreement_id: int) -> AgreementView:
        with self.db.read() as s:
            return AgreementView.of(self._agreement(s, agreement_id))

    def list_agreements(self, *, licensee_id: int | None = None) -> list[AgreementView]:
        with self.db.read() as s:
            q = select(Agreement).order_by(Agreement.id)
            if licensee_id is not None:
                q = q.where(Agreement.licensee_id == licensee_id)
            return [AgreementView.of(a) for a in s.scalars(q)]

    @staticmethod
    def _agreement(s: Session, agreement_id: int) -> Agreement:
        a = s.get(Agreement, agreement_id)
        if a is None:
            raise NotFound(f"no agreement with id {agreement_id}")
        return a

    # --- tokens and delivery -------------------------------------------------------------
    def issue_token(self, agreement_id: int, *, actor: str = "steward") -> str:
        """A new access token for an active agreement. The plaintext is returned once only."""
        with self.db.write() as s:
            a = self._agreement(s, agreement_id)
            now = self._now()
            if a.status != AgreementStatus.ACTIVE or now >= a.ends_at:
                raise Conflict(f"agreement {agreement_id} is not active")
            token = TOKEN_PREFIX + secrets.token_urlsafe(32)
            row = AccessToken(
                agreement_id=agreement_id,
                token_hash=hash_token(token),
                created_at=now,
                expires_at=min(now + self.token_ttl, a.ends_at),
                revoked_at=None,
            )
            s.add(row)
            s.flush()
            self.events.record(
                s,
                kind="token.issued",
                actor=actor,
                payload={
                    "token": row.id,
                    "agreement": agreement_id,
                    "expires_at": iso(row.expires_at),
                },
            )
            return token

    def revoke_token(self, token_id: int, *, actor: str = "steward") -> None:
        with self.db.write() as s:
            row = s.get(AccessToken, token_id)
            if row is None:
                raise NotFound(f"no token with id {token_id}")
            if row.revoked_at is None:
                row.revoked_at = self._now()
                self.events.record(
                    s, kind="token.revoked", actor=actor, payload={"token": token_id}
                )

    def check_token(self, s: Session, token: str, *, now: datetime | None = None) -> Grant:
        """The grant a presented token carries; AuthError when forged, expired or revoked."""
        now = now or self._now()
        row = s.scalar(select(AccessToken).where(AccessToken.token_hash == hash_token(token)))
        if row is None:
            raise AuthError("access token is not valid")
        if row.revoked_at is not None:
            raise AuthError("access token has been revoked")
        if now >= row.expires_at:
            raise AuthError("access token has expired")
        a = self._agreement(s, row.agreement_id)
        if a.status != AgreementStatus.ACTIVE or now >= a.ends_at:
            raise AuthError("the agreement behind this token is no longer active")
        usages = tuple(sorted(json.loads(a.document)["terms"]["permits"]))
        return Grant(row.id, a.id, a.licensee_id, usages, row.expires_at)

    def deny(self, *, who: str, what: str, why: str) -> None:
        """Record a refused access (the 403 is then raised by the caller)."""
        with self.db.write() as s:
            self.events.record(
                s, kind="access.denied", actor=who, payload={"resource": what, "reason": why}
            )

    def authorize_delivery(self, token: str, agreement_id: int) -> Grant:
        with self.db.read() as s:
            grant = self.check_token(s, token)
        if grant.agreement_id != agreement_id:
            self.deny(
                who=f"licensee:{grant.licensee_id}",
                what=f"agreement:{agreement_id}",
                why=f"token is scoped to agreement {grant.agreement_id}",
            )
            raise Forbidden(f"this token does not cover agreement {agreement_id}")
        return grant

    def dataset_lines(self, grant: Grant) -> Iterator[bytes]:
        """The licensed dataset as JSONL, streamed; metered and logged when complete."""
        count = size = 0
        last_id = 0
        while True:
            with self.db.read() as s:
                batch = s.execute(
                    select(Work, AgreementWork.id)
                    .join(AgreementWork, AgreementWork.work_id == Work.id)
                    .where(
                        AgreementWork.agreement_id == grant.agreement_id, AgreementWork.id > last_id
                    )
                    .order_by(AgreementWork.id)
                    .limit(500)
                ).all()
            if not batch:
                break
            for work, aw_id in batch:
                last_id = aw_id
                text = self.vault.read_bytes(Digest.parse(work.digest)).decode("utf-8")
                line = (
                    json.dumps(
                        {
                            "digest": work.digest,
                            "title": work.title,
                            "collection": work.collection,
                            "text": text,
                            "meta": work.meta,
                            "licence": f"agreement:{grant.agreement_id}",
                        },
                        ensure_ascii=False,
                    ).encode("utf-8")
                    + b"\n"
                )
                count += 1
                size += len(line)
                yield line
        with self.db.write() as s:
            s.add(
                Delivery(agreement_id=grant.agreement_id, works=count, bytes=size, at=self._now())
            )
            self.events.record(
                s,
                kind="data.delivered",
                actor=f"licensee:{grant.licensee_id}",
                payload={
                    "agreement": grant.agreement_id,
                    "token": grant.token_id,
                    "works": count,
                    "bytes": size,
                },
            )

    def members_of(self, agreement_id: int) -> dict[int, int]:
        """Per member: the sum of their shares (bp) over the works the agreement covers."""
        with self.db.read() as s:
            rows = s.execute(
                select(Share.member_id, func.sum(Share.share_bp))
                .join(AgreementWork, AgreementWork.work_id == Share.work_id)
                .where(AgreementWork.agreement_id == agreement_id)
                .group_by(Share.member_id)
            )
            return {int(m): int(w) for m, w in rows}

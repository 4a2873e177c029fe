"""Negotiation: drafts, offers and counter-offers (each with its diff and deadline), turns and
acceptance."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from syndic.clock import iso
from syndic.deals import rows
from syndic.deals.events import DealDrafted, OfferAccepted, OfferCountered, OfferMade
from syndic.deals.models import Deal, DealOffer
from syndic.deals.offers import Offer, diff
from syndic.deals.states import DealStatus, Party, move
from syndic.deals.views import DealView, OfferView
from syndic.errors import InvalidInput
from syndic.governance.service import GovernanceService
from syndic.provenance.unit import Transactions, Tx
from syndic.terms.models import Terms


class Negotiation:
    def __init__(self, txs: Transactions, *, governance: GovernanceService, currency: str) -> None:
        self.txs = txs
        self.governance = governance
        self.currency = currency

    def _check_offer(self, offer: Offer) -> Offer:
        if not offer.terms.permits:
            raise InvalidInput("an offer must permit at least one usage")
        if offer.terms.currency != self.currency:
            raise InvalidInput(
                f"offers are in the coalition's currency, {self.currency}, "
                f"not {offer.terms.currency}"
            )
        return offer

    def _record_offer(self, tx: Tx, deal: Deal, offer: Offer, *, party: Party, actor: str) -> None:
        """The deal now carries ``offer``; the offer is kept with its diff and deadline."""
        session = tx.session
        previous = session.scalar(
            select(DealOffer).where(DealOffer.deal_id == deal.id).order_by(DealOffer.round.desc())
        )
        now = tx.now()
        doc = offer.document()
        changes = diff(None if previous is None else previous.document, doc)
        if previous is not None and not changes:
            raise InvalidInput("a counter-offer must change something")
        deal.terms, deal.scope, deal.clauses = offer.terms, doc["scope"], offer.clauses()
        deal.offer_by = party
        deal.round = (previous.round if previous else 0) + 1
        valid = timedelta(hours=self.governance.charter(tx=tx).offer_valid_hours)
        deal.offer_expires_at = now + valid
        made = OfferMade if previous is None else OfferCountered
        event = made(
            deal=deal.id,
            licensee=deal.licensee_id,
            round=deal.round,
            party=party.value,
            offer=doc,
            diff=changes,
            expires_at=iso(deal.offer_expires_at),
        )
        idx = tx.record(event, actor=actor)
        session.add(
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
        with self.txs.write() as tx:
            rows.licensee(tx.session, licensee_id)
            deal = self._new_deal(tx, licensee_id, DealStatus.OFFERED)
            self._record_offer(tx, deal, offer, party=Party.LICENSEE, actor=actor)
            return DealView.of(deal)

    def draft(self, *, licensee_id: int, offer: Offer, actor: str = "steward") -> DealView:
        """The coalition prepares an offer to a licensee; ``send`` makes it an offer."""
        self._check_offer(offer)
        with self.txs.write() as tx:
            rows.licensee(tx.session, licensee_id)
            deal = self._new_deal(tx, licensee_id, DealStatus.DRAFT)
            doc = offer.document()
            deal.terms, deal.scope, deal.clauses = offer.terms, doc["scope"], offer.clauses()
            tx.record(DealDrafted(deal=deal.id, licensee=licensee_id, offer=doc), actor=actor)
            return DealView.of(deal)

    @staticmethod
    def _new_deal(tx: Tx, licensee_id: int, status: DealStatus) -> Deal:
        deal = Deal(
            licensee_id=licensee_id,
            terms=Terms(),
            scope=[],
            clauses={},
            offer_by=Party.COALITION,
            round=0,
            offer_expires_at=None,
            status=status,
            created_at=tx.now(),
            vote_closes_at=None,
            outcome=None,
        )
        tx.session.add(deal)
        tx.session.flush()
        return deal

    def send(self, deal_id: int, *, actor: str = "steward") -> DealView:
        with self.txs.write() as tx:
            deal = rows.deal(tx.session, deal_id, lock=True)
            to = move(deal_id, deal.status, "send")
            offer = Offer.model_validate({"terms": deal.terms, "scope": deal.scope, **deal.clauses})
            self._record_offer(tx, deal, offer, party=Party.COALITION, actor=actor)
            deal.status = to
            return DealView.of(deal)

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
        with self.txs.write() as tx:
            deal = rows.deal(tx.session, deal_id, lock=True)
            to = move(deal_id, deal.status, "counter")
            rows.check_turn(tx, deal, party=party, licensee_id=licensee_id)
            self._record_offer(tx, deal, offer, party=party, actor=actor)
            deal.status = to
            return DealView.of(deal)

    def accept(self, deal_id: int, *, licensee_id: int, actor: str) -> DealView:
        """The licensee accepts the coalition's latest offer (before the members vote on it)."""
        with self.txs.write() as tx:
            deal = rows.deal(tx.session, deal_id, lock=True)
            to = move(deal_id, deal.status, "accept")
            rows.check_turn(tx, deal, party=Party.LICENSEE, licensee_id=licensee_id)
            deal.status = to
            event = OfferAccepted(deal=deal_id, round=deal.round, licensee=licensee_id)
            tx.record(event, actor=actor)
            return DealView.of(deal)

    def offers(self, deal_id: int) -> list[OfferView]:
        """Every offer and counter-offer on a deal, each with its diff from the one before."""
        with self.txs.read() as session:
            rows.deal(session, deal_id)
            found = session.scalars(
                select(DealOffer).where(DealOffer.deal_id == deal_id).order_by(DealOffer.round)
            )
            return [OfferView.of(o) for o in found]

    def get(self, deal_id: int) -> DealView:
        with self.txs.read() as session:
            return DealView.of(rows.deal(session, deal_id))

    def every(self) -> list[DealView]:
        with self.txs.read() as session:
            return [DealView.of(d) for d in session.scalars(select(Deal).order_by(Deal.id))]

"""Use cases for a bargaining round: licensee -> offers and counter-offers -> the members'
vote under the charter -> an agreement signed by both parties -> access tokens -> metered
delivery.

Every move is checked against the state machine in ``deals.states`` and made in one
transaction with its log entry. The vote itself is a governance proposal. ``DealService`` is
one object made of its parts: ``licensees``, ``negotiation``, ``votes`` (the bridge to
governance), ``signing`` (agreements) and ``delivery`` (tokens and the dataset).
"""

from __future__ import annotations

from sqlalchemy import select

from syndic.deals.agreement import scope_root
from syndic.deals.delivery import TOKEN_PREFIX, DeliveryOps, hash_token
from syndic.deals.licensees import LicenseeOps
from syndic.deals.models import Agreement, AgreementStatus, Deal
from syndic.deals.negotiation import NegotiationOps
from syndic.deals.signing import AgreementOps
from syndic.deals.states import NEGOTIATING, move
from syndic.deals.votes import VoteOps

__all__ = ["TOKEN_PREFIX", "DealService", "hash_token", "scope_root"]


class DealService(LicenseeOps, NegotiationOps, VoteOps, AgreementOps, DeliveryOps):
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

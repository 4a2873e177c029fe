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
        """Lapse offers past their deadline, expire active agreements past their end, and
        lapse agreements the licensee never signed before their end (and their deals)."""
        now = self._now()
        lapsed = expired = unsigned = 0
        with self.db.write() as s:
            for deal in s.scalars(
                select(Deal)
                .where(Deal.status.in_(list(NEGOTIATING)), Deal.offer_expires_at <= now)
                .order_by(Deal.id)
                .with_for_update()
            ):
                deal.status = move(deal.id, deal.status, "lapse")
                self.events.record(s, kind="offer.lapsed", actor=actor, payload={"deal": deal.id})
                lapsed += 1
            due = s.scalars(
                select(Agreement.id)
                .where(
                    Agreement.status.in_([AgreementStatus.ACTIVE, AgreementStatus.PENDING]),
                    Agreement.ends_at <= now,
                )
                .order_by(Agreement.id)
            ).all()
            for agreement_id in due:
                a = self._agreement(s, agreement_id)
                deal = self._deal(s, a.deal_id, lock=True)
                a = self._agreement(s, agreement_id, lock=True)
                if a.status == AgreementStatus.ACTIVE:
                    a.status = AgreementStatus.EXPIRED
                    deal.status = move(deal.id, deal.status, "expire")
                    self.events.record(
                        s, kind="agreement.expired", actor=actor, payload={"agreement": a.id}
                    )
                    expired += 1
                elif a.status == AgreementStatus.PENDING:
                    a.status = AgreementStatus.LAPSED
                    deal.status = move(deal.id, deal.status, "lapse")
                    self.events.record(
                        s,
                        kind="agreement.lapsed",
                        actor=actor,
                        payload={"agreement": a.id, "deal": deal.id},
                    )
                    unsigned += 1
        return {
            "offers_lapsed": lapsed,
            "agreements_expired": expired,
            "agreements_lapsed": unsigned,
        }

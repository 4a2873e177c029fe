"""Use cases for a bargaining round: licensee -> offers and counter-offers -> the members'
vote under the charter -> an agreement signed by both parties -> access tokens -> metered
delivery.

Every move is checked against the state machine in ``deals.states`` and made in one
transaction with its log entry. The vote itself is a governance proposal. ``DealService`` is
composed of its parts, each with its own dependencies: ``licensees``, ``negotiation``,
``votes`` (the bridge to governance), ``agreements`` (signing) and ``delivery`` (tokens and
the dataset); it also answers, under the names the edges call, for each of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from syndic.auth.policy import Authorizer
from syndic.deals import rows
from syndic.deals.agreement import scope_root
from syndic.deals.coverage import shares_by_member
from syndic.deals.delivery import TOKEN_PREFIX, DeliveryOps, hash_token
from syndic.deals.events import AgreementExpired, AgreementLapsed, OfferLapsed
from syndic.deals.licensees import Licensees
from syndic.deals.models import Agreement, AgreementStatus, Deal
from syndic.deals.negotiation import Negotiation
from syndic.deals.signing import Agreements, Coalition
from syndic.deals.states import NEGOTIATING, move
from syndic.deals.votes import DealVotes, OfferBrief
from syndic.governance.service import GovernanceService
from syndic.keys import Signer
from syndic.provenance.unit import Transactions, Tx
from syndic.vault import FileVault

__all__ = ["TOKEN_PREFIX", "DealService", "DealSettings", "hash_token", "scope_root"]


@dataclass(frozen=True)
class DealSettings:
    """The coalition's side of every deal."""

    coalition: str
    agreements_dir: Path
    token_ttl: timedelta
    currency: str = "EUR"


class DealService:
    def __init__(
        self,
        txs: Transactions,
        *,
        governance: GovernanceService,
        vault: FileVault,
        signer: Signer,
        settings: DealSettings,
        authorizer: Authorizer,
        offer_brief: OfferBrief | None = None,
    ) -> None:
        self.txs = txs
        self.agreements_dir = settings.agreements_dir
        self.licensees = Licensees(txs, governance=governance)
        self.negotiation = Negotiation(txs, governance=governance, currency=settings.currency)
        self.votes = DealVotes(txs, governance=governance, offer_brief=offer_brief)
        self.agreements = Agreements(
            txs,
            governance=governance,
            coalition=Coalition(settings.coalition, signer),
            agreements_dir=settings.agreements_dir,
        )
        self.delivery = DeliveryOps(
            txs,
            governance=governance,
            vault=vault,
            token_ttl=settings.token_ttl,
            authorizer=authorizer,
        )
        # the names the edges call, each answered by one part
        self.register_licensee = self.licensees.register
        self.register_key = self.licensees.register_key
        self.list_licensees = self.licensees.every
        self.get_licensee = self.licensees.get
        self.requires_negotiation = self.licensees.requires_negotiation
        self.report_users = self.licensees.report_users
        self.offer = self.negotiation.offer
        self.draft = self.negotiation.draft
        self.send = self.negotiation.send
        self.counter = self.negotiation.counter
        self.accept = self.negotiation.accept
        self.offers = self.negotiation.offers
        self.get_deal = self.negotiation.get
        self.list_deals = self.negotiation.every
        self.coverage = self.votes.coverage
        self.open_vote = self.votes.open
        self.cast_vote = self.votes.cast
        self.close_vote = self.votes.close
        self.sign = self.agreements.sign
        self.countersign = self.agreements.countersign
        self.terminate = self.agreements.terminate
        self.agreement_path = self.agreements.path
        self.agreement_document = self.agreements.document
        self.agreement_file_bytes = self.agreements.file_bytes
        self.rsl = self.agreements.rsl
        self.agreement_terms = self.agreements.terms
        self.get_agreement = self.agreements.get
        self.list_agreements = self.agreements.every
        self.issue_token = self.delivery.issue_token
        self.revoke_token = self.delivery.revoke_token
        self.check_token = self.delivery.check_token
        self.grant = self.delivery.grant
        self.licence_grant = self.delivery.licence_grant
        self.authorize_delivery = self.delivery.authorize_delivery
        self.dataset_lines = self.delivery.dataset_lines
        self.dataset_records = self.delivery.dataset_records

    def members_of(self, agreement_id: int) -> dict[int, int]:
        """Per member: the sum of their shares (bp) over the works the agreement covers."""
        with self.txs.read() as session:
            return shares_by_member(session, agreement_id)

    def expire_due(self, *, actor: str = "steward") -> dict[str, int]:
        """Lapse offers past their deadline, expire active agreements past their end, and
        lapse agreements the licensee never signed before their end (and their deals)."""
        with self.txs.write() as tx:
            lapsed = _lapse_offers(tx, actor)
            expired, unsigned = _end_agreements(tx, actor)
        return {
            "offers_lapsed": lapsed,
            "agreements_expired": expired,
            "agreements_lapsed": unsigned,
        }


def _lapse_offers(tx: Tx, actor: str) -> int:
    lapsed = 0
    for deal in tx.session.scalars(
        select(Deal)
        .where(Deal.status.in_(list(NEGOTIATING)), Deal.offer_expires_at <= tx.now())
        .order_by(Deal.id)
        .with_for_update()
    ):
        deal.status = move(deal.id, deal.status, "lapse")
        tx.record(OfferLapsed(deal=deal.id), actor=actor)
        lapsed += 1
    return lapsed


def _end_agreements(tx: Tx, actor: str) -> tuple[int, int]:
    """(agreements expired, agreements lapsed unsigned)."""
    expired = unsigned = 0
    due = tx.session.scalars(
        select(Agreement.id)
        .where(
            Agreement.status.in_([AgreementStatus.ACTIVE, AgreementStatus.PENDING]),
            Agreement.ends_at <= tx.now(),
        )
        .order_by(Agreement.id)
    ).all()
    for agreement_id in due:
        deal, a = rows.locked_agreement(tx, agreement_id)
        if a.status == AgreementStatus.ACTIVE:
            a.status = AgreementStatus.EXPIRED
            deal.status = move(deal.id, deal.status, "expire")
            tx.record(AgreementExpired(agreement=a.id), actor=actor)
            expired += 1
        elif a.status == AgreementStatus.PENDING:
            a.status = AgreementStatus.LAPSED
            deal.status = move(deal.id, deal.status, "lapse")
            tx.record(AgreementLapsed(agreement=a.id, deal=deal.id), actor=actor)
            unsigned += 1
    return expired, unsigned

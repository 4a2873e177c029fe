"""The bridge to governance: a deal is put to the members as a proposal, voted and closed
in the same transaction as the deal's own state (governance's steps take our ``tx``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from syndic.deals import rows
from syndic.deals.coverage import Coverage, coverage
from syndic.deals.models import Deal
from syndic.deals.states import NEGOTIATING, DealStatus, Party, move
from syndic.deals.views import DealView
from syndic.errors import Conflict
from syndic.governance.charter import Binding, Charter
from syndic.governance.mandates import is_vlop
from syndic.governance.service import GovernanceService
from syndic.governance.views import BallotReceipt
from syndic.money import Money
from syndic.provenance.unit import Transactions


def deal_coverage(
    session: Session,
    deal: Deal,
    *,
    vlop_mau_threshold: int,
    consenting: tuple[int, ...] | None = None,
) -> Coverage:
    """The works ``deal`` would cover under this threshold (and, opt-in, these members)."""
    lic = rows.licensee(session, deal.licensee_id)
    return coverage(
        session,
        scope=deal.scope,
        terms=deal.terms,
        licensee_is_vlop=is_vlop(lic.monthly_active_users, vlop_mau_threshold),
        consenting=consenting,
    )


# What the members are told about a deal's offer beyond its coverage, by deal id: composed in
# from above (the offer assessment of ``syndic.bargaining``, which deals may not import). It
# reads committed state and returns JSON with the ``offer_round`` it assessed.
OfferBrief = Callable[[int], dict[str, Any]]


class DealVotes:
    def __init__(
        self,
        txs: Transactions,
        *,
        governance: GovernanceService,
        offer_brief: OfferBrief | None = None,
    ) -> None:
        self.txs = txs
        self.governance = governance
        self.offer_brief = offer_brief

    def coverage(self, deal_id: int) -> dict[str, Any]:
        """What the deal would cover if signed now, and who is left out and why."""
        threshold = self.governance.charter().vlop_mau_threshold
        with self.txs.read() as session:
            deal = rows.deal(session, deal_id)
            return deal_coverage(session, deal, vlop_mau_threshold=threshold).summary()

    def open(self, deal_id: int, *, actor: str = "steward") -> DealView:
        """Put the deal to the members under the charter's rule for deals; members are told
        first whose works the deal would leave out and why, and (with ``offer_brief``) what
        the offer is worth to them: it is stored with the vote's question, and so logged."""
        told = self._brief(deal_id)
        with self.txs.write() as tx:
            session = tx.session
            deal = rows.deal(session, deal_id, lock=True)
            to = move(deal_id, deal.status, "open_vote")
            if deal.status in NEGOTIATING:
                if deal.offer_by != Party.LICENSEE:
                    raise Conflict(
                        f"the licensee has not accepted the coalition's offer on deal {deal_id}"
                    )
                rows.check_turn(tx, deal, party=Party.COALITION, licensee_id=None)
            charter = self.governance.charter(tx=tx)
            rows.refuse_open_terms_under(
                charter, rows.licensee(session, deal.licensee_id), deal.terms
            )
            question = _question(session, deal, charter)
            if told is not None:
                if told.get("offer_round") != deal.round:
                    raise Conflict(
                        f"deal {deal_id}'s offer changed while it was assessed; open the vote again"
                    )
                question["assessment"] = told
            p = self.governance.open_deal_vote(deal_id, question=question, proposed_by=actor, tx=tx)
            deal.status = to
            deal.vote_closes_at = p.closes_at
            return DealView.of(deal)

    def _brief(self, deal_id: int) -> dict[str, Any] | None:
        """``offer_brief`` of a deal that may be put to a vote (a deal that may not is refused
        as the vote's own step refuses it, before anything is assessed)."""
        if self.offer_brief is None:
            return None
        with self.txs.read() as session:
            move(deal_id, rows.deal(session, deal_id).status, "open_vote")
        return self.offer_brief(deal_id)

    def cast(
        self,
        deal_id: int,
        *,
        member_id: int,
        choice: str | None = None,
        votes: dict[str, int] | None = None,
        actor: str | None = None,
    ) -> BallotReceipt:
        with self.txs.write() as tx:
            # the deal's row is held until commit: a closing waits for this ballot, or this
            # ballot sees the vote closed
            deal = rows.deal(tx.session, deal_id, lock=True)
            if deal.status != DealStatus.VOTING:
                raise Conflict(f"deal {deal_id} is not open for voting (it is {deal.status})")
            return self.governance.cast_on_deal(
                deal_id, member_id=member_id, choice=choice, votes=votes, actor=actor, tx=tx
            )

    def close(self, deal_id: int, *, actor: str = "steward", force: bool = False) -> DealView:
        """Tally under the rule the vote was opened with; approved when ``yes`` carries.
        ``force``: before the deadline (see ``GovernanceService.close_deal_vote`` for when)."""
        with self.txs.write() as tx:
            deal = rows.deal(tx.session, deal_id, lock=True)
            if deal.status != DealStatus.VOTING:
                raise Conflict(f"deal {deal_id} is not open for voting (it is {deal.status})")
            result = self.governance.close_deal_vote(deal_id, force=force, actor=actor, tx=tx)
            deal.status = move(deal_id, deal.status, "approve" if result.approved else "reject")
            deal.outcome = result.summary()
            return DealView.of(deal)


def _question(session: Session, deal: Deal, charter: Charter) -> dict[str, Any]:
    """What the members are asked, and told first: whose works the deal would leave out."""
    notice = deal_coverage(session, deal, vlop_mau_threshold=charter.vlop_mau_threshold).summary()
    if charter.binding is Binding.OPT_IN:
        notice["binding"] = "opt-in: the deal covers only the works of members who vote yes"
    terms = deal.terms.document()
    return {
        "text": f"license {', '.join(terms['permits'])} to licensee {deal.licensee_id} for "
        f"{Money(terms['amount_minor'], terms['currency'])}",
        "offer_round": deal.round,
        "coverage": notice,
    }

"""The bridge to governance: a deal is put to the members as a proposal, voted and closed
in the same transaction as the deal's own state."""

from __future__ import annotations

from typing import Any

from syndic.deals.base import DealsBase
from syndic.deals.states import NEGOTIATING, DealStatus, Party, move
from syndic.deals.views import DealView
from syndic.errors import Conflict
from syndic.governance.charter import Binding
from syndic.governance.models import ProposalKind
from syndic.governance.views import BallotReceipt
from syndic.money import Money


class VoteOps(DealsBase):
    def coverage(self, deal_id: int) -> dict[str, Any]:
        """What the deal would cover if signed now, and who is left out and why."""
        with self.db.read() as s:
            return self._coverage(s, self._deal(s, deal_id)).summary()

    def open_vote(self, deal_id: int, *, actor: str = "steward") -> DealView:
        """Put the deal to the members under the charter's rule for deals; members are told
        first whose works the deal would leave out and why."""
        with self.db.write() as s:
            deal = self._deal(s, deal_id, lock=True)
            to = move(deal_id, deal.status, "open_vote")
            if deal.status in NEGOTIATING:
                if deal.offer_by != Party.LICENSEE:
                    raise Conflict(
                        f"the licensee has not accepted the coalition's offer on deal {deal_id}"
                    )
                self._turn(s, deal, party=Party.COALITION, licensee_id=None)
            charter = self.governance.charter_in(s)
            self._refuse_open_terms(
                self._licensee(s, deal.licensee_id),
                deal.terms,
                threshold=charter.vlop_mau_threshold,
                open_licence=charter.open_licence,
            )
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
            # the deal's row is held until commit: a closing waits for this ballot, or this
            # ballot sees the vote closed
            deal = self._deal(s, deal_id, lock=True)
            if deal.status != DealStatus.VOTING:
                raise Conflict(f"deal {deal_id} is not open for voting (it is {deal.status})")
            return self.governance.cast_in(
                s,
                self._open_proposal(s, deal_id, lock=True),
                member_id=member_id,
                choice=choice,
                votes=votes,
                actor=actor,
            )

    def close_vote(self, deal_id: int, *, actor: str = "steward", force: bool = False) -> DealView:
        """Tally under the rule the vote was opened with; approved when ``yes`` carries.
        ``force``: before the deadline (see ``GovernanceService.close_in`` for when)."""
        with self.db.write() as s:
            deal = self._deal(s, deal_id, lock=True)
            if deal.status != DealStatus.VOTING:
                raise Conflict(f"deal {deal_id} is not open for voting (it is {deal.status})")
            p = self._open_proposal(s, deal_id, lock=True)
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

"""Is this offer a good deal? ``OfferAssessor.assess`` places a deal's latest offer in the
latest leverage run's price range, names the members whose floors or red lines it breaks and
the works it leaves out, and projects each member's payout under the charter's payout policy
as ``payout distribute`` would pay it (the same policy objects, the same covered shares and
covered values), were the whole price booked as revenue and distributed at once.

Under an opt-in charter a signed deal covers only the works of members who vote yes; the
projection assumes every member not excluded does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from syndic.bargaining import price
from syndic.bargaining.service import LeverageService
from syndic.deals import rows
from syndic.deals.votes import deal_coverage
from syndic.errors import NotFound
from syndic.governance.service import GovernanceService
from syndic.members.models import FULL_SHARE_BP, Share, Work, WorkStatus
from syndic.payouts.charter import CharterPayouts
from syndic.provenance.unit import Transactions
from syndic.valuation.models import WorkValue
from syndic.valuation.service import ValuationService


class OfferAssessor:
    def __init__(
        self,
        txs: Transactions,
        *,
        governance: GovernanceService,
        valuation: ValuationService,
        leverage: LeverageService,
        payouts: CharterPayouts,
    ) -> None:
        self.txs = txs
        self.governance = governance
        self.valuation = valuation
        self.leverage = leverage
        self.payouts = payouts

    def assess(self, deal_id: int) -> dict[str, Any]:
        charter = self.governance.charter()
        with self.txs.read() as s:
            deal = rows.deal(s, deal_id)
            amount = int(deal.terms.amount_minor)
            cover = deal_coverage(s, deal, vlop_mau_threshold=charter.vlop_mau_threshold)
            covered_ids = [w.id for w in cover.works]
            q = select(Work.id).where(Work.status.in_([WorkStatus.ACTIVE, WorkStatus.DISPUTED]))
            if deal.scope:
                q = q.where(Work.collection.in_(deal.scope))
            left_out = sorted(set(s.scalars(q)) - set(covered_ids))
            shares = s.execute(
                select(Share.member_id, Share.work_id, Share.share_bp)
                .where(Share.work_id.in_(covered_ids))
                .order_by(Share.member_id, Share.work_id)
            ).all()
        covered: dict[int, int] = {}
        for m, _w, bp in shares:
            covered[int(m)] = covered.get(int(m), 0) + int(bp)
        return {
            "deal": deal_id,
            "price_minor": amount,
            "currency": deal.terms.currency,
            "position": self._position(amount),
            "broken": cover.summary()["excluded_members"],
            "works_covered": len(covered_ids),
            "works_left_out": left_out,
            "payouts": self._payouts(amount, covered, shares, charter.payout_policy),
            "charter_version": charter.version,
        }

    def _position(self, amount: int) -> dict[str, Any]:
        try:
            run = self.leverage.show()
        except NotFound:
            return {"run": None, "words": "no leverage run yet: run `syndic leverage run`"}
        pr = run.result["price_range"]
        return {
            "run": run.id,
            "words": price.position(amount, pr),
            "reservation_minor": pr["reservation"]["minor"],
            "ask_minor": pr["ask"]["minor"],
            "builder_max_minor": pr["willingness"]["max_minor"],
            "builder_max_interval": pr["willingness"]["max_interval"],
        }

    def _payouts(
        self, amount: int, covered: dict[int, int], shares: Any, policy: str
    ) -> dict[str, Any]:
        if not covered or amount <= 0:
            return {"policy": policy, "members": {}, "words": "nothing would be paid"}
        values: dict[int, float] = {}
        run_id = None
        if policy == "valuation-weighted":
            try:
                run_id = self.valuation.show().id
            except NotFound:
                return {
                    "policy": policy,
                    "members": {},
                    "words": "no valuation run: payout distribute would refuse",
                }
            values = self._covered_value(shares, run_id)
        paid = self.payouts.project(amount, covered, values)
        return {
            "policy": policy,
            "valuation_run": run_id,
            "members": {str(m): v for m, v in sorted(paid.items())},
            "words": "if the whole price were booked and distributed at once",
        }

    def _covered_value(self, shares: Any, run_id: int) -> dict[int, float]:
        """As ``PayoutService.covered_value``: the run's value of each covered work times the
        member's share, summed per member in (member, work) order."""
        ids = sorted({int(w) for _m, w, _bp in shares})
        with self.txs.read() as s:
            value = dict(
                s.execute(
                    select(WorkValue.work_id, WorkValue.value).where(
                        WorkValue.run_id == run_id, WorkValue.work_id.in_(ids)
                    )
                ).all()
            )
        out: dict[int, float] = {}
        for m, w, bp in shares:
            v = value.get(w)
            out[int(m)] = out.get(int(m), 0.0) + (
                0.0 if v is None else float(v) * bp / FULL_SHARE_BP
            )
        return out

"""Is this offer a good deal? ``OfferAssessor.assess`` places a deal's latest offer in the
latest leverage run's price range, names the members whose floors or red lines it breaks and
the works it leaves out, and projects each member's payout under the charter's payout policy
as ``payout distribute`` would pay it (the same policy objects, the same covered shares and
covered values), were the whole price booked as revenue and distributed at once.

Under an opt-in charter a signed deal covers only the works of members who vote yes; the
projection assumes every member not excluded does.

``for_vote`` sums an assessment up as the members are told it when a vote on the offer opens:
it is stored with the vote's question (and so in the ``vote.opened`` log entry).
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
from syndic.money import show
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
            "offer_round": deal.round,
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


def for_vote(a: dict[str, Any]) -> dict[str, Any]:
    """What the members are told about the offer when its vote opens, in words and money: its
    price against the leverage run it rests on (or that there is none yet), whose floors or red
    lines it breaks, how many works it leaves out, and each member's projected payout."""
    cur = a["currency"]
    pos, pay = a["position"], a["payouts"]
    run = pos.get("run")
    words = [
        f"price {show(a['price_minor'], cur)}: {pos['words']}"
        + (f" (leverage run {run})" if run is not None else ""),
    ]
    if run is not None:

        def money(v: Any) -> str:
            return "none" if v is None else show(int(v), cur)

        words.append(
            f"the range: reservation {money(pos['reservation_minor'])}, suggested ask "
            f"{money(pos['ask_minor'])}, the builder's estimated most "
            f"{money(pos['builder_max_minor'])}"
        )
    broken = a["broken"]
    words.append(
        f"{len(broken)} member(s) left out for floors or red lines it breaks"
        if broken
        else "it breaks no member's floor or red lines"
    )
    words.append(f"{a['works_covered']:,} works covered, {len(a['works_left_out']):,} left out")
    words.append(f"projected payouts ({pay['policy']}): {pay['words']}")
    return {
        "offer_round": a["offer_round"],
        "price_minor": a["price_minor"],
        "currency": cur,
        "leverage_run": run,
        "position": pos["words"],
        "range": {k: pos.get(k) for k in ("reservation_minor", "ask_minor", "builder_max_minor")}
        if run is not None
        else None,
        "members_broken": [
            {"member": int(x["member"]), "reasons": list(x["reasons"])} for x in broken
        ],
        "works_covered": a["works_covered"],
        "works_left_out": len(a["works_left_out"]),
        "payout_policy": pay["policy"],
        "payouts_minor": dict(pay["members"]),
        "charter_version": a["charter_version"],
        "words": words,
    }

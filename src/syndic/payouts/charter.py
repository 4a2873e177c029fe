"""Distribute an agreement's revenue the way the charter says.

The charter's ``payout_policy`` picks the policy and ``payout_floor_bp`` its floor:

- ``pro-rata-works``: by works covered, each weighted by the member's share of it;
- ``valuation-weighted``: ``payout_floor_bp`` of the revenue pro rata by works, the rest in
  proportion to the member value the charter declares paid (``member_value``, see
  ``declared_values``; by default the value of the works the agreement covers, each times
  the member's share of it), in a valuation run (the newest, unless one is named): a member
  is paid for what the licensee gets, not for valuable works outside the agreement's scope.
  Statements say which value is paid (``paid_value``), its weight and the value part's 95%
  interval in money (``value_minor_interval``), the covered value, the run, the member's
  overall value, rank and interval, and the sentence that explains it, so a member can see why
  they got what they got. A run whose sampled values stopped at their budget before reaching
  a target standard error (``converged`` false in its summary) is refused: unconverged values
  move money between members by chance. The floor and value parts are computed inside the
  distribution's transaction from the amount it distributes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from syndic.errors import Conflict, NotFound
from syndic.governance.charter import Charter
from syndic.governance.service import GovernanceService
from syndic.members.models import FULL_SHARE_BP
from syndic.payouts.policies import ValuationWeighted, split_exact
from syndic.payouts.service import Allocation, PayoutService, StatementView
from syndic.valuation.service import ValuationService, payout_basis
from syndic.valuation.views import MemberValueView, RunView


def declared_values(
    charter: Charter,
    run: RunView,
    values: list[MemberValueView],
    covered_value: Mapping[int, float],
    covered: Mapping[int, int],
) -> dict[int, tuple[float, float]]:
    """Per covered member, the value the charter declares paid, with its standard error.

    ``work-sum``: the covered works' values times the member's shares (the standard error
    scaled from the member's overall one by the covered part). ``group-shapley``: the member's
    group-Shapley value times the part of their valued works the agreement covers (share-
    weighted works covered over works valued), refused when the run has none or it has not
    converged."""
    by_member = {v.member_id: v for v in values}
    out: dict[int, tuple[float, float]] = {}
    for m in covered:
        v = by_member.get(m)
        if v is None:
            out[m] = (0.0, 0.0)
            continue
        if charter.member_value == "work-sum":
            part = covered_value.get(m, 0.0)
            scale = abs(part / v.value_sum) if v.value_sum else 0.0
            out[m] = (part, v.stderr_sum * scale)
            continue
        if v.value_group is None or not run.summary.get("group_converged", False):
            raise Conflict(
                f"charter v{charter.version} pays members' group-Shapley values and valuation "
                f"run {run.id} has none that converged: value the pool again with "
                "--group-permutations and --target-stderr that it reaches"
            )
        scope = min(covered[m] / FULL_SHARE_BP / v.works_valued, 1.0) if v.works_valued else 0.0
        out[m] = (v.value_group * scope, (v.stderr_group or 0.0) * scope)
    return out


class CharterPayouts:
    """Distributions under the charter in force, from the parts it reads."""

    def __init__(
        self,
        *,
        payouts: PayoutService,
        governance: GovernanceService,
        valuation: ValuationService,
    ) -> None:
        self.payouts = payouts
        self.governance = governance
        self.valuation = valuation

    def distribute(
        self, agreement_id: int, *, run_id: int | None = None, actor: str = "steward"
    ) -> list[StatementView]:
        """Distribute ``agreement_id``'s undistributed revenue under the charter in force."""
        charter = self.governance.charter()
        covered = self.payouts.members_of(agreement_id)
        if charter.payout_policy == "pro-rata-works":
            return self.payouts.distribute(
                agreement_id, covered, policy="pro-rata-works", actor=actor
            )
        return self._valuation_weighted(charter, agreement_id, covered, run_id, actor)

    def project(
        self, total_minor: int, covered: Mapping[int, int], covered_value: Mapping[int, float]
    ) -> dict[int, int]:
        """What ``distribute`` would pay each member of ``total_minor`` under the charter in
        force, for works covered as ``covered`` (share bp per member) valued as
        ``covered_value``: the same policy objects, so the projection is the payment."""
        charter = self.governance.charter()
        if charter.payout_policy == "pro-rata-works":
            return split_exact(total_minor, covered)
        policy = ValuationWeighted(values=covered_value, floor_bp=charter.payout_floor_bp)
        return policy.split(total_minor, covered)

    def _valuation_weighted(
        self,
        charter: Charter,
        agreement_id: int,
        covered: Mapping[int, int],
        run_id: int | None,
        actor: str,
    ) -> list[StatementView]:
        try:
            run = self.valuation.show(run_id)
        except NotFound as exc:
            if run_id is not None:
                raise
            raise Conflict(
                f"charter v{charter.version} pays valuation-weighted shares and no valuation "
                "has been run: run `syndic value run` first (or amend the charter's "
                "payout_policy)"
            ) from exc
        if not run.summary.get("converged", False):
            raise Conflict(
                f"valuation run {run.id} ({run.method}) has not converged: its sampled values "
                f"stopped at their budget (max_updates {run.params.get('max_updates')}) before "
                "reaching a target standard error, so they are not paid; value the pool again "
                "with `syndic value run --target-stderr ...` and a budget that reaches it, or "
                "name a converged run with --run"
            )
        values = self.valuation.member_values(run.id)
        covered_value = self.payouts.covered_value(agreement_id, run.id)
        paid = declared_values(charter, run, values, covered_value, covered)
        policy = ValuationWeighted(
            values={m: w for m, (w, _) in paid.items()}, floor_bp=charter.payout_floor_bp
        )
        basis = payout_basis(values, run)

        def split(total_minor: int, covered: Mapping[int, int]) -> dict[int, Allocation]:
            parts = policy.parts(total_minor, covered)
            weights = sum(max(w, 0.0) for w, _ in paid.values())
            rest = sum(v for _, v in parts.values())
            out = {}
            for m, (floor, value) in parts.items():
                w, se = paid.get(m, (0.0, 0.0))
                # the value part's 95% interval in money: the weight's interval, the others held
                lo = rest * max(w - 1.96 * se, 0.0) / weights if weights > 0 else 0.0
                hi = rest * max(w + 1.96 * se, 0.0) / weights if weights > 0 else 0.0
                out[m] = Allocation(
                    floor + value,
                    {
                        **basis.get(m, {"why": "not in the valuation run: floor part only"}),
                        "covered_value": covered_value.get(m, 0.0),
                        "paid_value": charter.member_value,
                        "paid_weight": w,
                        "paid_weight_stderr": se,
                        "value_minor_interval": [int(lo), math.ceil(hi)] if w > 0 else [0, 0],
                        "charter_version": charter.version,
                        "floor_bp": charter.payout_floor_bp,
                        "floor_minor": floor,
                        "value_minor": value,
                    },
                )
            return out

        return self.payouts.distribute(
            agreement_id, covered, policy=charter.payout_policy, split=split, actor=actor
        )

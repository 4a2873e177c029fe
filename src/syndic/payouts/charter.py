"""Distribute an agreement's revenue the way the charter says.

The charter's ``payout_policy`` picks the policy and ``payout_floor_bp`` its floor:

- ``pro-rata-works``: by works covered, each weighted by the member's share of it;
- ``valuation-weighted``: ``payout_floor_bp`` of the revenue pro rata by works, the rest in
  proportion to the value of the works the agreement covers, each times the member's share of
  it, in a valuation run (the newest, unless one is named): a member is paid for what the
  licensee gets, not for valuable works outside the agreement's scope. Statements carry that
  covered value, the run, the member's overall value, rank and interval, and the sentence that
  explains it, so a member can see why they got what they got. A run whose sampled values
  stopped at their budget before reaching a target standard error (``converged`` false in its
  summary) is refused: unconverged values move money between members by chance. The floor and
  value parts are computed inside the distribution's transaction from the amount it distributes.
"""

from __future__ import annotations

from collections.abc import Mapping

from syndic.errors import Conflict, NotFound
from syndic.governance.charter import Charter
from syndic.governance.service import GovernanceService
from syndic.payouts.policies import ValuationWeighted
from syndic.payouts.service import Allocation, PayoutService, StatementView
from syndic.valuation.service import ValuationService, payout_basis


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
        policy = ValuationWeighted(values=covered_value, floor_bp=charter.payout_floor_bp)
        basis = payout_basis(values, run)

        def split(total_minor: int, covered: Mapping[int, int]) -> dict[int, Allocation]:
            return {
                m: Allocation(
                    floor + value,
                    {
                        **basis.get(m, {"why": "not in the valuation run: floor part only"}),
                        "covered_value": covered_value.get(m, 0.0),
                        "charter_version": charter.version,
                        "floor_bp": charter.payout_floor_bp,
                        "floor_minor": floor,
                        "value_minor": value,
                    },
                )
                for m, (floor, value) in policy.parts(total_minor, covered).items()
            }

        return self.payouts.distribute(
            agreement_id, covered, policy=charter.payout_policy, split=split, actor=actor
        )

"""``syndic audit``'s check of stored valuation runs: the rows payouts read (work values,
member values, the run's summary) hash to what each run's ``valuation.run`` entry logged."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy.orm import Session

from syndic.provenance.state import Logged, StateCheck
from syndic.valuation.stored import check_stored_values


class StoredValuesCheck(StateCheck):
    """An edited ``value_sum`` (or any stored row a payout reads) no longer hashes to what
    the run logged."""

    name = "valuation.runs"
    kinds = frozenset({"valuation.run"})
    tables = ("valuation_runs", "valuation_work_values", "valuation_member_values")

    def differences(self, session: Session, events: Sequence[Logged]) -> Iterator[str]:
        yield from check_stored_values(session)


CHECKS: tuple[StateCheck, ...] = (StoredValuesCheck(),)

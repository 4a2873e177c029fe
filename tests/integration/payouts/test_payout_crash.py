"""A real ``syndic payout run`` killed with SIGKILL at several steps, then run again: each
member is on the rail exactly once, for what they were owed, and the rail reconciles with
the ledger. (The full sweep, every step, is ``benchmarks/bench_payout_crash.py``.)"""

from __future__ import annotations

import pytest

from tests.conftest import MakeSyndic
from tests.integration.payouts.crash import crash_and_rerun, owe, steps

MEMBERS = 3
# in the transaction (after the last posting), committed but not delivered, and after one
# line on the rail (each kill starts a process: a few points here, every point in the bench)
POINTS = [MEMBERS, MEMBERS + 1, MEMBERS + 2]


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_killed_payout_run_pays_each_member_once(make_syndic: MakeSyndic, backend: str) -> None:
    s = make_syndic()
    env = {"SYNDIC_DATABASE_URL": s.settings.database_url} if s.settings.database_url else {}
    data_dir = s.settings.data_dir
    owed: dict[str, int] = {}
    landed = []
    for batch, at in enumerate(POINTS):
        # new members owed money for each kill point; those paid before must not be paid again
        owed |= owe(s, [1_00 * (i + 1) + batch for i in range(MEMBERS)], batch=batch)
        out = crash_and_rerun(data_dir, owed, at, env)
        assert out.paid_once, f"killed at step {at} ({out.step}): {out.problem}"
        assert out.reconciled, f"killed at step {at} ({out.step}): rail does not reconcile"
        landed.append(out.step)
    assert landed == ["posted", "committed", "line"]
    assert steps(MEMBERS) == 2 * MEMBERS + 1

"""Two ``payout run``s at once on PostgreSQL (two ``Syndic`` objects, two threads, one
database and one rail file): each member is paid once, whichever run gets there first."""

from __future__ import annotations

import json
import threading
from collections import Counter

import pytest

from syndic.app import Syndic
from syndic.provenance.unit import Tx
from tests.conftest import MakeSyndic
from tests.integration.payouts.crash import owe, rail_file
from tests.integration.postgres.test_races import race

pytestmark = pytest.mark.postgres
ROUNDS = 3
MEMBERS = 12


@pytest.fixture
def backend() -> str:
    return "postgres"


def test_two_runs_at_once_pay_each_member_once(make_syndic: MakeSyndic, backend: str) -> None:
    s = make_syndic()
    assert s.settings.database_url and backend == "postgres"
    other = Syndic.from_settings(s.settings)
    try:
        owed: dict[str, int] = {}
        for batch in range(ROUNDS):
            owed |= owe(s, [100 * (i + 1) + batch for i in range(MEMBERS)], batch=batch)
            results = race(s.payouts.run, other.payouts.run)
            assert [kind for kind, _ in results] == ["ok", "ok"], results
            assert sum(r.paid_minor for _, r in results) == sum(owed.values()) - sum(
                v for k, v in owed.items() if not k.startswith(f"IBAN-{batch:03d}-")
            )
        lines = [json.loads(x) for x in rail_file(s.settings.data_dir).read_text().splitlines()]
        assert Counter(x["account"] for x in lines) == Counter(owed.keys())
        assert {x["account"]: x["amount_minor"] for x in lines} == owed
        assert s.payouts.reconcile().ok
        assert s.state_audit.run().ok
    finally:
        other.close()


def test_a_run_that_read_the_balances_holds_off_the_other(
    make_syndic: MakeSyndic, backend: str
) -> None:
    """The interleaving that pays twice unless a run locks before it reads: run B reads the
    balances and stalls; run A starts meanwhile. A must wait for B's commit (then find
    nothing owed); were A to go first, B would post what it read, already paid."""
    s = make_syndic()
    assert s.settings.database_url and backend == "postgres"
    other = Syndic.from_settings(s.settings)
    owed = owe(s, [100, 200, 300])
    read, done = threading.Event(), threading.Event()
    real = other.payouts._owed

    def stalled(tx: Tx) -> list[tuple[str, int]]:
        rows = real(tx)
        read.set()
        done.wait(timeout=3)  # A finishing first is the race being looked for
        return rows

    other.payouts._owed = stalled  # type: ignore[method-assign]

    def first_a() -> object:
        read.wait(timeout=30)
        try:
            return s.payouts.run()
        finally:
            done.set()

    try:
        results = race(other.payouts.run, first_a)
        assert [kind for kind, _ in results] == ["ok", "ok"], results
        lines = [json.loads(x) for x in rail_file(s.settings.data_dir).read_text().splitlines()]
        assert Counter(x["account"] for x in lines) == Counter(owed.keys()), lines
        assert s.state_audit.run().ok
    finally:
        other.close()


def test_two_distributions_at_once_distribute_the_revenue_once(
    make_syndic: MakeSyndic, backend: str
) -> None:
    from tests.coalition import active_agreement, world

    w = world(make_syndic, n=3)
    other = Syndic.from_settings(w.s.settings, clock=w.clock)
    try:
        agreement = active_agreement(w)
        for _ in range(ROUNDS):
            w.s.payouts.book_revenue(agreement, 999)
            results = race(lambda: w.s.distribute(agreement), lambda: other.distribute(agreement))
            assert sorted(kind for kind, _ in results) == ["error", "ok"], results
            assert w.s.payouts.undistributed(agreement) == 0
        assert sum(st.amount_minor for st in w.s.payouts.statements()) == ROUNDS * 999
        assert w.s.state_audit.run().ok
    finally:
        other.close()

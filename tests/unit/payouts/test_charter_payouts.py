"""Revenue is distributed the way the charter says, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from syndic.errors import AmountError, Conflict
from syndic.keys import public_b64
from syndic.members.importer import import_arxiv
from syndic.payouts.service import Allocation
from syndic.testing import ManualClock
from syndic.valuation.params import RunParams
from tests.coalition import FEE, LAB_KEY, World, active_agreement
from tests.conftest import MakeSyndic


def _world(make_syndic: MakeSyndic, fixture_jsonl: Path, charter: dict[str, Any] | None) -> World:
    clock = ManualClock()
    s = make_syndic(clock=clock)
    if charter is not None:
        s.governance.found(charter)
    import_arxiv(s.members, fixture_jsonl)
    lab = s.deals.register_licensee(
        name="Lab", contact="lab@example.org", public_key=public_b64(LAB_KEY)
    )
    members = [m.id for m in s.members.list_members()]
    works = [w.id for w in s.members.iter_works()]
    return World(s, clock, members, works, lab.id)


def test_no_charter_pays_pro_rata_by_works(
    make_syndic: MakeSyndic, backend: str, fixture_jsonl: Path
) -> None:
    w = _world(make_syndic, fixture_jsonl, None)
    a = active_agreement(w)
    w.s.payouts.book_revenue(a, FEE)
    rows = w.s.distribute(a)
    assert {r.policy for r in rows} == {"pro-rata-works"}
    # 12 producers with 20 papers each: equal shares, the leftover minor units spread one each
    amounts = sorted(r.amount_minor for r in rows)
    assert len(amounts) == 12 and sum(amounts) == FEE
    assert amounts == [FEE // 12] * (12 - FEE % 12) + [FEE // 12 + 1] * (FEE % 12)
    assert w.s.payouts.undistributed(a) == 0


def test_valuation_weighted_needs_a_run_then_pays_floor_plus_value(
    make_syndic: MakeSyndic, backend: str, fixture_jsonl: Path
) -> None:
    charter = {"payout_policy": "valuation-weighted", "payout_floor_bp": 2500}
    w = _world(make_syndic, fixture_jsonl, charter)
    a = active_agreement(w)
    w.s.payouts.book_revenue(a, FEE)
    with pytest.raises(Conflict, match="no valuation has been run"):
        w.s.distribute(a)
    assert w.s.payouts.undistributed(a) == FEE  # the refusal wrote nothing
    assert w.s.payouts.statements() == []

    run = w.s.valuation.run(RunParams(group_permutations=0, repeats=1, folds=3))
    rows = w.s.distribute(a)
    assert sum(r.amount_minor for r in rows) == FEE
    assert {r.policy for r in rows} == {"valuation-weighted"}
    bases = {r.member_id: r.basis for r in rows}
    assert sum(b["floor_minor"] for b in bases.values()) == FEE * 2500 // 10_000
    assert all(b["charter_version"] == 1 and b["valuation_run"] == run.id for b in bases.values())
    values = {v.member_id: v.value_sum for v in w.s.valuation.member_values(run.id)}
    by_value = sorted(bases, key=lambda m: values[m])
    # the value part follows the members' values: the most valuable member gets the most
    assert bases[by_value[-1]]["value_minor"] == max(b["value_minor"] for b in bases.values())
    for m, b in bases.items():
        assert b["floor_minor"] + b["value_minor"] == next(
            r.amount_minor for r in rows if r.member_id == m
        )
        if values[m] <= 0:
            assert b["value_minor"] == 0
    with pytest.raises(Conflict, match="no undistributed revenue"):
        w.s.distribute(a)


def test_value_part_follows_the_value_of_the_works_the_agreement_covers(
    make_syndic: MakeSyndic, backend: str, fixture_jsonl: Path
) -> None:
    charter = {"payout_policy": "valuation-weighted", "payout_floor_bp": 2000}
    w = _world(make_syndic, fixture_jsonl, charter)
    run = w.s.valuation.run(RunParams(group_permutations=0, repeats=1, folds=3))
    top = w.s.valuation.member_values(run.id)[0]
    # all but the top member's least valuable work leave the pool before the deal: outside
    # its scope (cross-fitting values every work, so the one left is worth little, not 0)
    mine = sorted(w.s.valuation.work_values(run.id, member_id=top.member_id), key=lambda x: x.value)
    least, valuable = mine[0], [x.work_id for x in mine[1:]]
    for work in valuable:
        w.s.members.withdraw_work(work, reason="kept out of this deal")
    a = active_agreement(w)
    w.s.payouts.book_revenue(a, FEE)
    rows = {r.member_id: r for r in w.s.distribute(a, run_id=run.id)}
    assert sum(r.amount_minor for r in rows.values()) == FEE
    b = rows[top.member_id].basis
    # still covered (one work is in scope), and paid for what that work is worth
    assert b["covered_value"] == pytest.approx(least.value, abs=1e-12)
    assert b["floor_minor"] > 0
    assert b["value_minor"] < max(r.basis["value_minor"] for r in rows.values())
    # the statement still shows the member's overall value and rank in the run
    assert b["value"] == pytest.approx(top.value_sum) and b["rank"] == top.rank == 1
    # everyone else is weighed by their covered works' values times their shares
    for m, r in rows.items():
        if m == top.member_id:
            continue
        expect = sum(x.value for x in w.s.valuation.work_values(run.id, member_id=m))
        assert r.basis["covered_value"] == pytest.approx(expect, abs=1e-12)
    positive = {
        m: r.basis["covered_value"] for m, r in rows.items() if r.basis["covered_value"] > 0
    }
    best = max(positive, key=lambda m: positive[m])
    assert rows[best].basis["value_minor"] == max(r.basis["value_minor"] for r in rows.values())


def test_a_split_hook_is_checked_inside_the_transaction(
    make_syndic: MakeSyndic, backend: str, fixture_jsonl: Path
) -> None:
    w = _world(make_syndic, fixture_jsonl, None)
    a = active_agreement(w)
    w.s.payouts.book_revenue(a, FEE)
    covered = w.s.deals.members_of(a)
    seen: list[int] = []

    def outsider(total: int, cov: Mapping[int, int]) -> dict[int, Allocation]:
        seen.append(total)
        return {max(cov) + 1: Allocation(total)}

    def short(total: int, cov: Mapping[int, int]) -> dict[int, Allocation]:
        return {min(cov): Allocation(total - 1)}

    with pytest.raises(AmountError, match="does not cover"):
        w.s.payouts.distribute(a, covered, policy="p", split=outsider)
    with pytest.raises(AmountError, match="did not split the amount exactly"):
        w.s.payouts.distribute(a, covered, policy="p", split=short)
    assert seen == [FEE]  # the hook sees the amount being distributed
    assert w.s.payouts.undistributed(a) == FEE and w.s.payouts.statements() == []

    def explained(total: int, cov: Mapping[int, int]) -> dict[int, Allocation]:
        m = min(cov)
        return {m: Allocation(total, {"floor_minor": 0, "value_minor": total})}

    (row,) = w.s.payouts.distribute(a, covered, policy="p", split=explained)
    assert row.amount_minor == FEE and row.basis["value_minor"] == FEE
    assert row.basis["pool_minor"] == FEE


def test_a_run_that_has_not_converged_is_not_paid(
    make_syndic: MakeSyndic, fixture_jsonl: Path
) -> None:
    charter = {"payout_policy": "valuation-weighted", "payout_floor_bp": 2500}
    w = _world(make_syndic, fixture_jsonl, charter)
    a = active_agreement(w)
    w.s.payouts.book_revenue(a, FEE)
    few = {
        "method": "banzhaf",
        "model": "knn",
        "group_permutations": 0,
        "executor": "serial",
        "repeats": 1,
        "folds": 2,
    }
    unconverged = w.s.valuation.run(RunParams(**few, max_updates=30))  # type: ignore[arg-type]
    assert unconverged.summary["converged"] is False
    with pytest.raises(Conflict, match=f"run {unconverged.id} .banzhaf. has not converged"):
        w.s.distribute(a)
    assert w.s.payouts.undistributed(a) == FEE and w.s.payouts.statements() == []
    # a target standard error the budget reaches: converged, and paid
    target = RunParams(**few, max_updates=400, target_stderr=0.2)  # type: ignore[arg-type]
    converged = w.s.valuation.run(target)
    assert converged.summary["converged"] is True
    assert converged.summary["updates"] < 400
    rows = w.s.distribute(a)
    assert sum(r.amount_minor for r in rows) == FEE
    assert {r.basis["valuation_run"] for r in rows} == {converged.id}


def test_the_charter_declares_which_member_value_pays_in_money_with_an_interval(
    make_syndic: MakeSyndic, fixture_jsonl: Path
) -> None:
    charter = {"payout_policy": "valuation-weighted", "member_value": "group-shapley"}
    w = _world(make_syndic, fixture_jsonl, charter)
    a = active_agreement(w)
    w.s.payouts.book_revenue(a, FEE)
    quick = {"repeats": 1, "folds": 3}
    w.s.valuation.run(RunParams(group_permutations=0, **quick))  # type: ignore[arg-type]
    with pytest.raises(Conflict, match="group-Shapley values and valuation run 1 has none"):
        w.s.distribute(a)
    run = w.s.valuation.run(
        RunParams(group_permutations=200, target_stderr=0.02, **quick)  # type: ignore[arg-type]
    )
    assert run.summary["group_converged"] is True
    rows = w.s.distribute(a)
    assert sum(r.amount_minor for r in rows) == FEE
    groups = {v.member_id: v.value_group for v in w.s.valuation.member_values(run.id)}
    for r in rows:
        b = r.basis
        assert b["paid_value"] == "group-shapley" and b["valuation_run"] == run.id
        # every work is in scope here, so the paid weight is the group value itself
        assert b["paid_weight"] == pytest.approx(groups[r.member_id])
        lo, hi = b["value_minor_interval"]
        if b["value_minor"] > 0:
            assert lo <= b["value_minor"] <= hi and lo < hi


def test_sentences_use_units_right_for_the_method() -> None:
    from syndic.valuation.explain import sentence

    common = {"works": 3, "value": 0.01, "stderr": 0.001, "rank": (1, 1, 2), "members": 4}
    shapley = sentence(**common, labels={}, metric="accuracy (knn)", efficient=True)  # type: ignore[arg-type]
    banzhaf = sentence(**common, labels={}, metric="accuracy (knn)", efficient=False)  # type: ignore[arg-type]
    assert "add +0.01000 (± 0.00100) to the model's accuracy" in shapley
    assert "add" not in banzhaf.split("(")[0] and "do not add up" in banzhaf

"""What payouts read is what was logged: stored rows are re-hashed against the run's log entry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from syndic.members.importer import import_arxiv
from syndic.valuation.models import MemberValue, ValuationRun, WorkValue
from syndic.valuation.params import RunParams
from syndic.valuation.stored import check_stored_values
from tests.conftest import MakeSyndic

FAST = RunParams(group_permutations=10, repeats=1, folds=3)

# (table, column, new value, what the problem says)
EDITS: list[tuple[Any, str, Any, str]] = [
    (MemberValue, "value_sum", 1.0, "stored values hash to"),
    (MemberValue, "value_group", 1.0, "stored values hash to"),
    (WorkValue, "value", 0.5, "stored values hash to"),
    (WorkValue, "label", "Physics", "corpus"),
    (ValuationRun, "summary", {"converged": True}, "stored values hash to"),
    (ValuationRun, "result_digest", "sha256:0", "stored result_digest differs"),
]


def test_an_edited_stored_value_is_caught(
    backend: str, make_syndic: MakeSyndic, fixture_jsonl: Path
) -> None:
    s = make_syndic()
    import_arxiv(s.members, fixture_jsonl)
    run = s.valuation.run(FAST)
    with s.db.read() as session:
        assert check_stored_values(session) == []
    assert s.state_audit.run().problems == []
    for table, column, value, found in EDITS:
        key = table.id if table is ValuationRun else table.run_id
        with s.db.write() as session:
            row_id, before = session.execute(
                select(table.id, getattr(table, column)).where(key == run.id).limit(1)
            ).one()
            session.execute(update(table).where(table.id == row_id).values({column: value}))
        with s.db.read() as session:
            problems = check_stored_values(session)
        assert problems, (table, column)
        assert all(p.startswith(f"valuation run {run.id}:") for p in problems)
        assert any(found in p for p in problems), problems
        if column == "value_sum":  # value verify and syndic audit say so too
            audit = s.state_audit.run()
            assert any("stored values hash to" in p for p in audit.problems), audit.problems
            out = s.valuation.reproduce(run.id)
            assert not out["same"] and not out["stored_rows_ok"]
            assert out["recomputed_digest"] == run.result_digest
        with s.db.write() as session:
            session.execute(update(table).where(table.id == row_id).values({column: before}))
    with s.db.read() as session:
        assert check_stored_values(session) == []
    assert s.state_audit.run().problems == []


def test_a_run_stored_before_estimators_2_recomputes_as_it_was_made(
    make_syndic: MakeSyndic, fixture_jsonl: Path
) -> None:
    """Runs stored before the ``estimators`` parameter existed used plain permutations for
    members' group values; ``value verify`` must recompute them that way, not with today's."""
    from dataclasses import replace

    s = make_syndic()
    import_arxiv(s.members, fixture_jsonl)
    old = s.valuation.run(replace(FAST, estimators=1))
    new = s.valuation.run(FAST)
    assert old.params["estimators"] == 1 and new.params["estimators"] == 2
    assert old.result_digest != new.result_digest  # the two versions value members differently
    with s.db.write() as session:  # as stored before the parameter existed
        params = {k: v for k, v in old.params.items() if k != "estimators"}
        session.execute(update(ValuationRun).where(ValuationRun.id == old.id).values(params=params))
    assert s.valuation.reproduce(old.id)["recomputed_digest"] == old.result_digest
    assert s.valuation.reproduce(new.id)["same"]

"""Valuation runs in the product, on SQLite and PostgreSQL: stored, logged, reproducible."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from syndic.canonical import parse_canonical
from syndic.errors import NotFound, ValuationError
from syndic.members.importer import import_arxiv
from syndic.members.models import FULL_SHARE_BP
from syndic.members.service import NewWork
from syndic.provenance.models import LogCheckpoint, LogEntry, LogHead
from syndic.valuation.models import MemberValue, ValuationRun, WorkValue
from syndic.valuation.params import RunParams
from tests.conftest import MakeSyndic

FAST = RunParams(group_permutations=20, repeats=1, folds=3)


def _events(s, kind: str) -> list[dict]:  # type: ignore[no-untyped-def]
    with s.db.read() as sess:
        rows = sess.scalars(select(LogEntry).where(LogEntry.kind == kind).order_by(LogEntry.idx))
        return [parse_canonical(bytes(e.entry)) for e in rows]


def _count(s, table) -> int:  # type: ignore[no-untyped-def]
    with s.db.read() as sess:
        return int(sess.scalar(select(func.count()).select_from(table)) or 0)


def test_a_run_is_stored_logged_and_consistent(
    backend: str, make_syndic: MakeSyndic, fixture_jsonl: Path
) -> None:
    s = make_syndic()
    import_arxiv(s.members, fixture_jsonl)
    run = s.valuation.run(FAST)
    cp = s.provenance.checkpoint()
    assert run.method == "knn-shapley" and run.label == "field" and run.seed == 0
    assert run.params["folds"] == 3 and run.params["repeats"] == 1 and run.params["k"] == 5
    assert 0 < run.snapshot_size <= cp.size
    for lib in ("python", "numpy", "scipy", "scikit-learn", "syndic"):
        assert lib in run.versions
    works = s.valuation.work_values(run.id)
    assert len(works) == 240
    assert {w.role for w in works} == {"valued"}  # cross-fitting values every work
    assert all(w.stderr >= 0 for w in works) and any(w.stderr > 0 for w in works)
    members = s.valuation.member_values(run.id)
    assert len(members) == 12
    assert [m.rank for m in members] == sorted(m.rank for m in members)
    for m in members:
        assert m.rank_low <= m.rank <= m.rank_high
        assert m.explanation["sentence"].startswith("Your ")
        labels = m.explanation["per_label"]
        # the per-label parts add up to the member's value
        assert sum(labels.values()) == pytest.approx(m.value_sum, abs=1e-12)
    train_total = sum(w.value for w in works)
    # both ways of valuing members split the same total: the mean over splits of
    # U(the split's training works) - U(none), each split's sum being that
    assert sum(m.value_sum for m in members) == pytest.approx(train_total, abs=1e-9)
    group_total = sum(m.value_group or 0.0 for m in members)
    assert group_total == pytest.approx(train_total, abs=1e-9)
    assert run.summary["total_value"] == pytest.approx(train_total, abs=1e-12)

    (event,) = _events(s, "valuation.run")
    p = event["payload"]
    assert p["run"] == run.id and p["method"] == "knn-shapley" and p["seed"] == 0
    assert p["snapshot"] == {"size": run.snapshot_size, "root": run.snapshot_root}
    assert p["result_digest"] == run.result_digest
    with s.db.read() as sess:
        stored = sess.get(ValuationRun, run.id)
        assert stored is not None and stored.log_index >= run.snapshot_size


def test_a_run_reproduces_from_what_is_stored_even_after_the_pool_grows(
    make_syndic: MakeSyndic, fixture_jsonl: Path
) -> None:
    s = make_syndic()
    import_arxiv(s.members, fixture_jsonl)
    first = s.valuation.run(FAST)
    s.members.register_work(
        NewWork(
            content=b"arXiv:9999.0001\nA new paper\n\nOn quasars and their hosts.\n",
            title="A new paper",
            kind="paper",
            collection="arxiv:Astrophysics",
            holders=[(1, FULL_SHARE_BP)],
            meta={"field": "Astrophysics"},
        ),
        registered_by=1,
    )
    second = s.valuation.run(FAST)
    assert second.snapshot_size > first.snapshot_size
    assert second.summary["works"] == first.summary["works"] + 1
    again = s.valuation.reproduce(first.id)
    assert again["same"], again
    assert again["recomputed_digest"] == first.result_digest
    other_seed = s.valuation.run(RunParams(seed=1, group_permutations=20))
    assert other_seed.result_digest != first.result_digest


def test_a_run_reproduces_from_its_stored_corpus_whatever_happens_to_the_works(
    backend: str, make_syndic: MakeSyndic, fixture_jsonl: Path
) -> None:
    s = make_syndic()
    import_arxiv(s.members, fixture_jsonl)
    run = s.valuation.run(FAST)
    assert run.corpus_digest.startswith("sha256:")
    (event,) = _events(s, "valuation.run")
    assert event["payload"]["corpus_digest"] == run.corpus_digest
    stored = {w.work_id: w for w in s.valuation.work_values(run.id)}
    train = list(stored.values())
    assert all(w.label and w.holders for w in stored.values())
    disputed, withdrawn = train[0].work_id, train[1].work_id
    holder = stored[disputed].holders[0][0]
    other = next(m.id for m in s.members.list_members() if m.id != holder)

    s.members.dispute_work(disputed, reason="who wrote it?")
    assert s.valuation.reproduce(run.id)["same"]
    s.members.withdraw_work(withdrawn, reason="leaving")
    assert s.valuation.reproduce(run.id)["same"]
    s.members.resolve_dispute(disputed, holders=[(other, FULL_SHARE_BP)])
    again = s.valuation.reproduce(run.id)
    assert again["same"], again
    assert again["recomputed_corpus_digest"] == run.corpus_digest
    # the run's rows still say who held the work when it was valued
    assert s.valuation.work_values(run.id)[0] == min(stored.values(), key=lambda w: w.work_id)
    after = {w.work_id: w for w in s.valuation.work_values(run.id)}
    assert after[disputed].holders == stored[disputed].holders
    # a new run values today's pool: one work fewer, the new holder
    new = s.valuation.run(FAST)
    assert new.corpus_digest != run.corpus_digest
    assert new.summary["works"] == run.summary["works"] - 1
    assert withdrawn not in {w.work_id for w in s.valuation.work_values(new.id)}
    new_rows = {w.work_id: w for w in s.valuation.work_values(new.id)}
    assert new_rows[disputed].holders == [[other, FULL_SHARE_BP]]


BAD = [
    (RunParams(label="no-such-field"), "no 'no-such-field'"),
    (RunParams(label="source"), "single class"),
    (RunParams(folds=1), "at least 2 folds"),
    (RunParams(repeats=0), "repeats must be at least 1"),
    (RunParams(method="magic"), "unknown method"),
    (RunParams(k=500), "larger than the training set"),
    (RunParams(k=0), "at least 1"),
    (RunParams(seed=-3), "seed"),
    (RunParams(group_permutations=-1), "negative"),
    (RunParams(executor="gpu"), "unknown executor"),
    (RunParams(features="word2vec"), "unknown features"),
    (RunParams(model="svm"), "unknown model"),
    (RunParams(precision="float16"), "unknown precision"),
    (RunParams(label="  "), "the label must name a metadata field"),
    (RunParams(dims=0), "dims must be at least 1"),
    (RunParams(max_updates=0), "max_updates must be at least 1"),
]


def _log_state(s) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """(log size, signed checkpoints stored)."""
    with s.db.read() as sess:
        size = int(sess.scalar(select(LogHead.size)) or 0)
    return size, _count(s, LogCheckpoint)


def test_bad_runs_are_refused_and_write_nothing(
    backend: str, make_syndic: MakeSyndic, fixture_jsonl: Path
) -> None:
    s = make_syndic()
    import_arxiv(s.members, fixture_jsonl)
    before = _log_state(s)
    for params, message in BAD:
        with pytest.raises(ValuationError, match=message):
            s.valuation.run(params)
        # not even a checkpoint is signed for a refused run
        assert _log_state(s) == before, params
    assert _count(s, ValuationRun) == 0
    assert _count(s, WorkValue) == 0 and _count(s, MemberValue) == 0
    assert _events(s, "valuation.run") == []


def test_an_empty_pool_and_unknown_runs_are_refused(make_syndic: MakeSyndic) -> None:
    s = make_syndic()
    with pytest.raises(NotFound, match="no valuation has been run"):
        s.valuation.show()
    with pytest.raises(ValuationError, match="at least 4"):
        s.valuation.run(FAST)
    with pytest.raises(NotFound, match="no valuation run with id 7"):
        s.valuation.show(7)


def test_a_member_with_no_works_has_no_value(make_syndic: MakeSyndic, fixture_jsonl: Path) -> None:
    s = make_syndic()
    import_arxiv(s.members, fixture_jsonl)
    run = s.valuation.run(FAST)
    newcomer = s.members.join(handle="newcomer", name="N", payout_account="acct:n")
    with pytest.raises(ValuationError, match="has no works in valuation run"):
        s.valuation.member_value(newcomer.id, run.id)
    with pytest.raises(NotFound, match="no member with id 999"):
        s.valuation.member_value(999, run.id)
    mv = s.valuation.member_value(1, run.id)
    assert mv.member_id == 1 and mv.works_valued > 0
    assert s.valuation.chart(1, run.id).lstrip().startswith(b"<?xml")
    assert s.valuation.chart(1, run.id, fmt="png").startswith(b"\x89PNG")
    with pytest.raises(ValuationError, match="svg or png"):
        s.valuation.chart(1, run.id, fmt="gif")
    mine = s.valuation.work_values(run.id, member_id=1)
    assert mine and all(w.work_id for w in mine)
    json.dumps([w.model_dump() for w in mine])


@pytest.mark.slow
def test_sampled_methods_run_in_the_product(make_syndic: MakeSyndic, fixture_jsonl: Path) -> None:
    s = make_syndic()
    import_arxiv(s.members, fixture_jsonl)
    with pytest.raises(ValuationError, match="raise --max-updates"):
        s.valuation.run(
            RunParams(method="banzhaf", max_updates=2, executor="serial", dims=16, repeats=1)
        )
    assert _count(s, ValuationRun) == 0
    for method in ("tmc-shapley", "banzhaf", "beta-shapley", "loo"):
        run = s.valuation.run(
            RunParams(
                method=method,
                max_updates=4 if method != "banzhaf" else 64,
                group_permutations=2,
                executor="serial",
                dims=16,
                folds=2,
                repeats=1,
            )
        )
        members = s.valuation.member_values(run.id)
        assert len(members) == 12
        assert members[0].explanation["per_label_basis"] == "labels of the member's own works"
        for m in members:  # every member is told which test examples their works help or hurt
            ex = m.explanation
            assert "proxy" in ex["examples_basis"]
            if m.works_valued:
                assert ex["helped"] or ex["hurt"], m
        # members' sums carry standard errors from per-sample group sums
        assert all(m.stderr_sum > 0 for m in members if m.works_valued) or method == "loo"
        if method == "tmc-shapley":
            assert run.summary["updates"] == 2 * 4  # per split, over two folds

"""A leverage run on a small synthetic coalition: stored and logged, verified, exported and
recomputed with plain scikit-learn; refusals store nothing; a deal's assessment pays what
``payout distribute`` pays."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from syndic.app import Syndic
from syndic.bargaining.assess import for_vote
from syndic.bargaining.params import LeverageParams
from syndic.config import Settings
from syndic.errors import InputFileError, LeverageError
from syndic.keys import public_b64
from syndic.members.service import NewWork
from syndic.provenance.models import LogEntry
from syndic.terms.models import Terms, Usage
from syndic.testing import ManualClock
from syndic.valuation.params import RunParams
from tests.coalition import LAB_KEY
from tests.unit.bargaining.helpers import outside, papers, pool

PARAMS = LeverageParams(
    dims=8, seeds=2, n_sizes=4, min_size=10, groups=1, eval_fraction=0.2, executor="serial"
)


@dataclass
class Leverage:
    s: Syndic
    outside: Path
    run_id: int
    lab: int
    floor_member: int
    red_line_member: int


def _extra_member(s: Syndic, handle: str, rows: list[dict[str, str]], **mandate: object) -> int:
    m = s.members.join(handle=handle, name="", payout_account=f"acct:{handle}", **mandate)  # type: ignore[arg-type]
    for r in rows:
        s.members.register_work(
            NewWork(
                r["abstract"].encode(),
                r["title"],
                "paper",
                "arxiv:x",
                [(m.id, 10_000)],
                {"field": r["field"], "id": r["id"]},
            ),
            registered_by=m.id,
        )
    return m.id


@pytest.fixture(scope="module")
def lev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Leverage]:
    tmp = tmp_path_factory.mktemp("leverage")
    s = Syndic.init(Settings(data_dir=tmp / "data"), name="Lev", clock=ManualClock())
    s.governance.found({"payout_policy": "valuation-weighted", "coverage_share_bp": 7000})
    rows = pool(s, tmp, n=72)
    extra = papers(6, seed=9, prefix="extra")
    floor = _extra_member(s, "dear", extra[:3], floor_price_minor=10**9)
    red = _extra_member(s, "nottrain", extra[3:], prohibited_usages=["ai-train"])
    s.valuation.run(RunParams(group_permutations=0, executor="serial", folds=4, repeats=1))
    lab = s.deals.register_licensee(
        name="Lab",
        contact="lab@example.org",
        public_key=public_b64(LAB_KEY),
        monthly_active_users=0,
    ).id
    out = outside(tmp, n=120, extra=rows[:4])
    run = s.leverage.run(PARAMS, outside=out.read_bytes())
    yield Leverage(s, out, run.id, lab, floor, red)
    s.close()


def test_a_run_is_stored_with_every_point_and_logged(lev: Leverage) -> None:
    run = lev.s.leverage.show(lev.run_id)
    assert run.result["outside_dropped_as_pool"] == 4
    c = run.result["counts"]
    assert c["pool"] == 78 and c["outside"] == 120
    for fam in ("linear", "knn"):
        for arm in ("outside", "outside+pool", "pool"):
            pts = [p for p in run.points if p["family"] == fam and p["arm"] == arm]
            sizes = sorted({p["size"] for p in pts})
            assert len(sizes) == 4 and sizes[-1] == c[f"train_{arm}"]
            assert len(pts) == 3 * 2 + 1  # seeds per subset size, the whole arm once
            assert all(0 <= p["accuracy"] <= 1 and p["log_loss"] > 0 for p in pts)
        groups = [g["group"] for g in run.result["groups"][fam]]
        assert (
            len(groups) == 2 and groups[0].startswith("member:") and groups[1].startswith("field:")
        )
    pr = run.result["price_range"]
    assert pr["reservation"]["coverage_bp"] == 7000 and pr["reservation"]["minor"] == 0
    assert run.result["member_values"]["run"] is not None
    with lev.s.db.read() as session:
        entries = list(
            session.scalars(select(LogEntry.entry).where(LogEntry.kind == "leverage.run"))
        )
    payload = json.loads(entries[-1])["payload"]
    assert payload["result_digest"] == run.result_digest and payload["run"] == run.id
    assert payload["splits_digest"] == run.splits_digest


def test_verify_recomputes_the_same_digests(lev: Leverage) -> None:
    out = lev.s.leverage.verify(lev.run_id)
    assert out["same"] and out["same_features"] and out["same_index_sets"]


def test_the_strike_recomputes_with_plain_scikit_learn_from_the_export(
    lev: Leverage, tmp_path: Path
) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier

    lev.s.leverage.export(lev.run_id, tmp_path)
    z = np.load(tmp_path / f"leverage-run-{lev.run_id}.npz")
    x, y, n = z["x"], z["y"], len(z["classes"])
    e = z["set/eval"]
    run = lev.s.leverage.show(lev.run_id)
    assert "LogisticRegression(C=10.0, max_iter=2000)" in (tmp_path / "README.md").read_text()

    def accuracy(fam: str, arm: str) -> float:
        t = z[f"set/arm/{arm}"]
        model = (
            LogisticRegression(C=10.0, max_iter=2000)
            if fam == "linear"
            else KNeighborsClassifier(n_neighbors=min(10, len(t)), algorithm="brute")
        )
        model.fit(x[t], y[t])
        p = np.zeros((len(e), n))
        p[:, model.classes_] = model.predict_proba(x[e])
        p = (1 - 1e-3) * p + 1e-3 / n
        return float((p.argmax(1) == y[e]).mean())

    for fam in ("linear", "knn"):
        strike = 100 * (accuracy(fam, "outside+pool") - accuracy(fam, "outside"))
        assert strike == pytest.approx(run.result["strike"][fam]["accuracy_points"], abs=1e-9)


def test_the_chart_draws(lev: Leverage) -> None:
    assert b"<svg" in lev.s.leverage.chart(lev.run_id)


def _counts(s: Syndic) -> tuple[int, int]:
    with s.db.read() as session:
        return len(s.leverage.list_runs()), int(
            session.scalar(select(func.count(LogEntry.idx))) or 0
        )


@pytest.mark.parametrize(
    ("params", "data", "error", "message"),
    [
        ({}, b'{"id": "a", "title": "t"\n', InputFileError, "not valid JSON"),
        ({}, b'{"id": "a", "title": "t", "abstract": "x"}\n', InputFileError, "no label"),
        ({"eval_fraction": 0.03}, None, LeverageError, "fewer than 5 works of every class"),
        ({"sizes": "10,20,30,100000"}, None, LeverageError, "larger than the outside arm"),
        ({"price_per_work_minor": 0}, None, LeverageError, "price per work minor must be positive"),
        ({"value_per_point_minor": -5}, None, LeverageError, "value per point minor must be pos"),
        ({"builder_size": 10**7}, None, LeverageError, "that is extrapolation; ask for it"),
    ],
)
def test_bad_input_is_refused_and_nothing_stored(
    lev: Leverage, params: dict[str, object], data: bytes | None, error: type, message: str
) -> None:
    before = _counts(lev.s)
    p = LeverageParams(**{**PARAMS.as_dict(), **params})  # type: ignore[arg-type]
    with pytest.raises(error, match=message):
        lev.s.leverage.run(p, outside=lev.outside.read_bytes() if data is None else data)
    assert _counts(lev.s) == before


def test_assess_agrees_with_what_payout_distribute_pays(lev: Leverage) -> None:
    s, amount = lev.s, 123_457
    deal = s.deals.offer(
        licensee_id=lev.lab,
        terms=Terms(permits=frozenset({Usage.AI_TRAIN}), amount_minor=amount),
        actor=f"licensee:{lev.lab}",
    ).id
    a = s.assess_deal(deal)
    broken = {b["member"]: " ".join(b["reasons"]) for b in a["broken"]}
    assert "floor" in broken[lev.floor_member] and "red line" in broken[lev.red_line_member]
    assert len(a["works_left_out"]) == 6 and a["works_covered"] == 72
    assert a["position"]["run"] == lev.run_id and a["position"]["words"]
    projected = {int(m): v for m, v in a["payouts"]["members"].items()}
    assert sum(projected.values()) == amount and a["payouts"]["policy"] == "valuation-weighted"

    s.deals.open_vote(deal)
    # the members vote knowing it: stored with the vote's question and in its log entry
    vote = s.governance.deal_vote(deal)
    told = vote.question["assessment"]
    assert told == for_vote(a) and told["leverage_run"] == lev.run_id
    assert {int(m): v for m, v in told["payouts_minor"].items()} == projected
    assert told["works_left_out"] == 6 and told["offer_round"] == 1
    assert {b["member"] for b in told["members_broken"]} == set(broken)
    assert f"leverage run {lev.run_id}" in told["words"][0] and "1,234.57" in told["words"][0]
    with s.db.read() as session:
        opened = list(session.scalars(select(LogEntry.entry).where(LogEntry.kind == "vote.opened")))
    assert json.loads(opened[-1])["payload"]["question"]["assessment"] == told
    for m in s.members.list_members():
        s.deals.cast_vote(deal, member_id=m.id, choice="no" if m.id in broken else "yes")
    s.deals.close_vote(deal, force=True)
    agreement = s.deals.sign(deal)
    sig = base64.b64encode(LAB_KEY.sign(s.deals.agreement_document(agreement.id))).decode()
    s.deals.countersign(agreement.id, sig, licensee_id=lev.lab, actor=f"licensee:{lev.lab}")
    s.payouts.book_revenue(agreement.id, amount)
    paid = {st.member_id: st.amount_minor for st in s.distribute(agreement.id)}
    assert paid == projected

"""The demo measures leverage against strat25k minus the coalition's own papers, and its
report shows the data strike and the price range."""

from __future__ import annotations

from pathlib import Path

from syndic.app import Syndic


def test_demo_runs_leverage_and_reports_it(demo_dir: Path) -> None:
    s = Syndic.open(demo_dir)
    try:
        run = s.leverage.show()
        # the members voted on the deal knowing its assessment against this run
        votes = [p for p in s.governance.list_proposals() if p.kind == "deal"]
        assert votes and votes[0].question["assessment"]["leverage_run"] == run.id
    finally:
        s.close()
    r = run.result
    assert r["counts"]["pool"] >= 7_000  # a few works of fields too rare to evaluate are out
    assert r["outside_dropped_as_pool"] > 0  # the coalition's own papers are not outside data
    assert r["counts"]["outside"] + r["outside_dropped_as_pool"] <= 25_000
    assert {p["family"] for p in run.points} == {"linear", "knn"}
    for fam in ("linear", "knn"):
        for arm in ("outside", "outside+pool", "pool"):
            pts = [p for p in run.points if p["family"] == fam and p["arm"] == arm]
            assert len({p["size"] for p in pts}) >= 6
            assert len({p["seed"] for p in pts}) >= 5 + 1  # five subsets, and the whole arm
    html = (demo_dir / "demo-report.html").read_text()
    assert 'id="leverage"' in html and "Data strike" in html and "Price range" in html

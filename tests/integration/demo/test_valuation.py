"""The demo values the pool and pays valuation-weighted shares; statements say why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from syndic.app import Syndic
from syndic.demo import DEMO_CHARTER


def test_statements_explain_valuation_weighted_shares(demo_dir: Path) -> None:
    statements = [
        json.loads(p.read_text()) for p in sorted((demo_dir / "statements").glob("member-*.json"))
    ]
    assert statements
    pool = statements[0]["basis"]["pool_minor"]
    assert sum(st["amount_minor"] for st in statements) == pool
    floor_total = sum(st["basis"]["floor_minor"] for st in statements)
    assert floor_total == pool * int(str(DEMO_CHARTER["payout_floor_bp"])) // 10_000
    for st in statements:
        b = st["basis"]
        assert st["policy"] == "valuation-weighted"
        assert b["floor_minor"] + b["value_minor"] == st["amount_minor"]
        assert b["floor_minor"] > 0  # every covered member gets something
        assert b["charter_version"] >= 1 and b["floor_bp"] == DEMO_CHARTER["payout_floor_bp"]
        assert b["why"].startswith("Your ") or "floor part only" in b["why"]
        if "value" in b:
            lo, hi = b["rank_interval"]
            assert lo <= b["rank"] <= hi
        # the value part follows the value of the member's works this agreement covers
        if b["covered_value"] <= 0:
            assert b["value_minor"] == 0
    assert list((demo_dir / "statements").glob("member-*-value.svg"))


@pytest.mark.slow
def test_the_demo_run_is_stored_and_reproducible(demo_dir: Path) -> None:
    s = Syndic.open(demo_dir)
    try:
        run = s.valuation.show()
        assert run.method == "knn-shapley" and run.label == "field"
        assert s.valuation.reproduce(run.id)["same"]
    finally:
        s.close()
    html = (demo_dir / "demo-report.html").read_text()
    assert 'id="valuation"' in html and 'id="member-values"' in html

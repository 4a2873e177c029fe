"""The demo's whole round (import, gate charges, valuation-weighted payouts, a payout run)
audits clean, and its payouts reconcile: the state checks know every way the product writes
the tables they compare."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from syndic.cli.main import main


@pytest.mark.slow
def test_demo_audits_and_reconciles(demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["audit", "--data-dir", str(demo_dir), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["state"]["ok"] and report["log"]["ok"]
    assert all(c["events"] > 0 for c in report["state"]["checks"]), report["state"]
    assert main(["payout", "reconcile", "--data-dir", str(demo_dir), "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["ok"] and rec["payments"] == rec["rail_lines"] > 0

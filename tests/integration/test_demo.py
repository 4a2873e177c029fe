"""`syndic demo` end to end on the real demo coalition (producers300.jsonl)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from syndic.cli.main import main


@pytest.mark.slow
def test_demo_round(demo_dir: Path) -> None:
    rep = json.loads((demo_dir / "demo-summary.json").read_text())
    assert rep["members"] == 292
    assert rep["works"] == 7122
    assert rep["agreements_active"] == 1
    assert rep["paid_out_minor"] == rep["revenue_minor"] > 0
    assert (demo_dir / "demo-report.html").is_file()
    delivered = (demo_dir / "licensee-dataset.jsonl").read_text().splitlines()
    agreement = json.loads(next((demo_dir / "agreements").glob("agreement-*.json")).read_text())
    assert len(delivered) == agreement["document"]["scope"]["works"]
    statements = list((demo_dir / "statements").glob("member-*.json"))
    assert (
        sum(json.loads(p.read_text())["amount_minor"] for p in statements) == rep["paid_out_minor"]
    )


def test_demo_refuses_a_used_data_dir(demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--data-dir", str(demo_dir)]) != 0
    assert "already holds a coalition" in capsys.readouterr().err

"""`syndic demo` end to end on the real demo coalition (producers300.jsonl)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from syndic.access.canaries import PER_AGREEMENT
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
    # every licensed work, and the agreement's few canary records (docs/detection.md)
    assert len(delivered) == agreement["document"]["scope"]["works"] + PER_AGREEMENT
    statements = list((demo_dir / "statements").glob("member-*.json"))
    assert (
        sum(json.loads(p.read_text())["amount_minor"] for p in statements) == rep["paid_out_minor"]
    )


def test_demo_refuses_a_used_data_dir(
    demo_dir: Path, shared: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = shared / "data" / "arxiv" / "producers300.jsonl"
    assert main(["demo", "--data-dir", str(demo_dir), "--source", str(corpus)]) != 0
    assert "already holds a coalition" in capsys.readouterr().err


def test_demo_refuses_a_missing_corpus_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = tmp_path / "syndic-data"
    assert main(["demo", "--data-dir", str(d), "--source", str(tmp_path / "nope.jsonl")]) != 0
    assert "demo corpus not found" in capsys.readouterr().err
    assert not d.exists()


def test_demo_finds_its_corpus_under_syndic_shared_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from syndic.demo import CORPUS, default_source

    (tmp_path / CORPUS).parent.mkdir(parents=True)
    (tmp_path / CORPUS).write_text("{}\n")
    monkeypatch.setenv("SYNDIC_SHARED_DIR", str(tmp_path))
    assert default_source() == tmp_path / CORPUS
    monkeypatch.setenv("SYNDIC_SHARED_DIR", str(tmp_path / "elsewhere"))
    assert default_source() != tmp_path / CORPUS

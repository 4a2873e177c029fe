"""``syndic detect``, ``trace`` and ``usage`` through the real entry point: a scan, evidence
verified offline, a leaked export traced to its licensee, usage reconciled, and every refusal
in one line with nothing stored."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from syndic.cli.main import main
from syndic.testing import ManualClock
from tests.coalition import open_pool_copy, signed_pool_agreement


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _one_line_refusal(result: tuple[int, str, str], message: str) -> None:
    code, out, err = result
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err


def test_scan_evidence_trace_and_usage(
    pool_dir: Path, tmp_path: Path, fixture_jsonl: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = ManualClock(datetime.now(UTC))  # the CLI below reads the system clock
    s = open_pool_copy(pool_dir, tmp_path, clock)
    agreement = signed_pool_agreement(s, clock)
    token = s.deals.issue_token(agreement)
    s.close()
    d = ("--data-dir", str(tmp_path / "pool"))

    changed = []
    for work in range(1, 11):
        code, out, _ = run(
            capsys, "detect", "marks", str(work), "--agreement", str(agreement), "--json", *d
        )
        marks = json.loads(out)
        assert code == 0 and marks["only_documented_forms"]
        changed += [c["to"] for c in marks["changes"]]
    assert changed and set(changed) <= {"U+2010", "U+002D", "U+2019", "U+0027"}
    code, out, _ = run(capsys, "detect", "reindex", "--json", *d)
    assert code == 0 and json.loads(out)["works"] == 240
    code, out, _ = run(capsys, "detect", "duplicates", "--json", *d)
    assert code == 0 and json.loads(out) == []  # the fixture holds no text twice
    _one_line_refusal(run(capsys, "detect", "duplicates", "--threshold", "2", *d), "(0, 1]")

    abstract = json.loads(fixture_jsonl.read_text().splitlines()[7])["abstract"]
    dataset = tmp_path / "ds.jsonl"
    dataset.write_text(
        json.dumps({"id": "r1", "body": "nothing to see here"})
        + "\n"
        + json.dumps({"id": "r2", "body": "Preface. " + abstract})
        + "\n"
    )
    scan = ("detect", "scan", str(dataset), "--text-field", "body", "--id-field", "id")
    code, out, _ = run(capsys, *scan, "--json", *d)
    result = json.loads(out)
    assert code == 0 and [m["record"] for m in result["matches"]] == ["r2"]
    member = result["matches"][0]["members"][0]

    bundles = tmp_path / "evidence"
    assert run(capsys, "detect", "evidence", str(result["scan"]), "-o", str(bundles), *d)[0] == 0
    (bundle,) = bundles.iterdir()
    key = _public_key(tmp_path)
    code, out, _ = run(capsys, "detect", "verify", str(bundle), "--key", key, "--json")
    assert code == 0 and json.loads(out)["member"] == member

    # the refusals: one line each, and no scan stored
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"body": "fine"}\n{"body": oops}\n')
    refused = run(capsys, "detect", "scan", str(bad), "--text-field", "body", *d)
    _one_line_refusal(refused, "line 2 is not JSON")
    _one_line_refusal(run(capsys, *scan[:3], *d), "line 1: no text field 'text'")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    _one_line_refusal(run(capsys, "trace", str(empty), *d), "nothing to trace")
    code, out, _ = run(capsys, *scan, "--json", *d)
    assert json.loads(out)["scan"] == result["scan"] + 1  # the refused scans left no row

    # a leaked 10% of the licensee's export, shuffled and mixed, names the licensee
    export = tmp_path / "export.jsonl"
    args = ("export", "--agreement", str(agreement), "--token", token, "--out", str(export))
    assert run(capsys, *args, *d)[0] == 0
    lines = export.read_text().splitlines()
    rng = random.Random(1)
    leak = [*rng.sample(lines, len(lines) // 10), json.dumps({"text": "an unrelated note"})]
    rng.shuffle(leak)
    (tmp_path / "leak.jsonl").write_text("\n".join(leak) + "\n")
    code, out, _ = run(capsys, "trace", str(tmp_path / "leak.jsonl"), "--json", *d)
    traced = json.loads(out)
    assert code == 0 and traced["licensee"]["name"] == "Lab"
    assert traced["agreement"] == agreement and traced["p_value"] < 1e-6
    plain = [
        json.dumps({"text": json.loads(x)["abstract"]})
        for x in fixture_jsonl.read_text().splitlines()
    ]
    (tmp_path / "plain.jsonl").write_text("\n".join(plain))
    code, out, _ = run(capsys, "trace", str(tmp_path / "plain.jsonl"), "--json", *d)
    assert code == 0 and json.loads(out)["verdict"] == "no licensee"

    # the export was delivered and not reported; a report covering it settles that
    code, out, _ = run(capsys, "usage", "reconcile", str(agreement), "--json", *d)
    rec = json.loads(out)
    assert rec["deliveries"] == 1 and len(rec["unreported_deliveries"]) == 1
    day = datetime.now(UTC).date()
    report = ("usage", "report", str(agreement), "--records-used", "240")
    period = ("--from", str(day - timedelta(days=1)), "--to", str(day + timedelta(days=90)))
    assert run(capsys, *report, *period, *d)[0] == 0
    rec = json.loads(run(capsys, "usage", "reconcile", str(agreement), "--json", *d)[1])
    assert rec["unreported_deliveries"] == [] and rec["overdue_reports"] == []
    _one_line_refusal(
        run(capsys, *report, "--from", str(day), "--to", str(day), *d), "must end after"
    )
    _one_line_refusal(run(capsys, *report, "--from", "soon", "--to", "later", *d), "not a date")


def _public_key(tmp_path: Path) -> str:
    from syndic.keys import Signer, public_b64

    return public_b64(Signer.load(tmp_path / "pool" / "coalition.key").public_key())

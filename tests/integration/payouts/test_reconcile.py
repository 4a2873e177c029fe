"""``syndic payout reconcile`` and ``syndic audit`` through the real CLI: a clean run
reconciles and audits OK; each way the rail's file can differ from the ledger is named; a
failure is one line on stderr and a non-zero exit; ``--json`` lists every difference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from syndic.cli.main import main
from tests.conftest import MakeSyndic
from tests.integration.payouts.crash import owe, rail_file


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def paid_dir(make_syndic: MakeSyndic, capsys: pytest.CaptureFixture[str]) -> Path:
    s = make_syndic()
    owe(s, [1_00, 2_00, 3_00])
    d = s.settings.data_dir
    assert cli(capsys, "payout", "run", "--data-dir", str(d))[0] == 0
    return d


def test_clean_run_reconciles_and_a_second_run_pays_nothing(
    paid_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = str(paid_dir)
    code, out, _ = cli(capsys, "payout", "run", "--data-dir", d, "--json")
    assert code == 0 and json.loads(out)["payments"] == 0 and json.loads(out)["delivered"] == 0
    code, out, _ = cli(capsys, "payout", "reconcile", "--data-dir", d)
    assert code == 0 and "3 payments, 3 rail instructions" in out
    code, out, _ = cli(capsys, "audit", "--data-dir", d)
    assert code == 0 and "state OK" in out


def test_every_difference_is_named(paid_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = rail_file(paid_dir)
    lines = [json.loads(x) for x in f.read_text().splitlines()]
    a, b, c = lines
    wrong = {**b, "amount_minor": b["amount_minor"] + 1, "account": "attacker"}
    stranger = {**c, "id": "pay-forged"}
    rewritten = [json.dumps(x) for x in (a, a, wrong, stranger)] + ["not json"]
    f.write_text("\n".join(rewritten) + "\n")
    code, out, err = cli(capsys, "payout", "reconcile", "--data-dir", str(paid_dir), "--json")
    assert code != 0
    kinds = sorted(x["kind"] for x in json.loads(out)["differences"])
    assert kinds == [
        "duplicate",
        "missing",
        "unknown_id",
        "unreadable",
        "wrong_account",
        "wrong_amount",
    ]
    assert err.count("\n") == 1 and err.startswith("error: payouts do not reconcile (6 ")
    missing = next(x for x in json.loads(out)["differences"] if x["kind"] == "missing")
    assert missing["payment_id"] == c["id"]


def test_a_torn_last_line_is_dropped_and_redelivered(
    paid_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = rail_file(paid_dir)
    data = f.read_bytes()
    f.write_bytes(data[: len(data) - 10])  # the last instruction cut short, as by a crash
    code, out, _ = cli(capsys, "payout", "run", "--data-dir", str(paid_dir), "--json")
    assert code == 0 and json.loads(out)["delivered"] == 1
    assert f.read_bytes() == data
    assert cli(capsys, "payout", "reconcile", "--data-dir", str(paid_dir))[0] == 0


def test_audit_names_an_edited_payout_account(
    make_syndic: MakeSyndic, capsys: pytest.CaptureFixture[str]
) -> None:
    s = make_syndic()
    owe(s, [5_00])
    with s.db.write() as session:
        session.execute(text("UPDATE members SET payout_account = 'attacker'"))
    d = str(s.settings.data_dir)
    for args in (["audit"], ["log", "verify", "--state"]):
        code, _, err = cli(capsys, *args, "--data-dir", d)
        assert code != 0 and err.count("\n") == 1, (args, err)
        assert "members row 1: payout_account is 'attacker'" in err
    assert cli(capsys, "log", "verify", "--data-dir", d)[0] == 0  # the log itself is intact
    code, out, _ = cli(capsys, "audit", "--data-dir", d, "--json")
    report = json.loads(out)
    assert code != 0 and report["log"]["ok"] and not report["state"]["ok"]
    failed = [c["name"] for c in report["state"]["checks"] if not c["ok"]]
    assert failed == ["members.members"]

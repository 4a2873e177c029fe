"""The real ``syndic`` entry point: happy paths, --json, and one-line errors (no tracebacks)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from syndic.access.canaries import PER_AGREEMENT
from syndic.cli.main import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_init_import_report(
    tmp_path: Path, fixture_jsonl: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = str(tmp_path / "d")
    assert run(capsys, "--data-dir", d, "init", "--name", "C")[0] == 0
    assert (tmp_path / "d" / "coalition.key").stat().st_mode & 0o777 == 0o600
    code, out, _ = run(capsys, "import", "arxiv", str(fixture_jsonl), "--data-dir", d, "--json")
    assert code == 0
    assert json.loads(out)["works_created"] == 240
    code, out, _ = run(capsys, "report", "--json", "--data-dir", d)
    rep = json.loads(out)
    for k in (
        "members",
        "works",
        "licensees",
        "agreements_active",
        "revenue_minor",
        "paid_out_minor",
        "currency",
        "events",
    ):
        assert k in rep
    assert (rep["members"], rep["works"]) == (12, 240)
    code, out, _ = run(capsys, "member", "list", "--json", "--data-dir", d)
    assert len(json.loads(out)) == 12
    code, out, _ = run(capsys, "vault", "verify", "--json", "--data-dir", d)
    assert code == 0 and json.loads(out)["checked"] == 240


def test_round_through_the_cli(
    tmp_path: Path, fixture_jsonl: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = ["--data-dir", str(tmp_path / "d")]
    run(capsys, *d, "init", "--name", "C")
    run(capsys, *d, "import", "arxiv", str(fixture_jsonl))
    assert run(capsys, *d, "terms", "set", "--permit", "ai-train", "--price", "100.00")[0] == 0
    # the licensee makes its own signing key and the steward registers the public half
    lab_key = tmp_path / "lab.key"
    code, pub, _ = run(capsys, "agreement", "keygen", "--out", str(lab_key))
    assert code == 0 and lab_key.stat().st_mode & 0o777 == 0o600
    assert (
        run(
            capsys,
            *d,
            "licensee",
            "add",
            "--name",
            "Lab",
            "--contact",
            "x@y",
            "--public-key",
            pub.strip(),
        )[0]
        == 0
    )
    assert (
        run(
            capsys, *d, "deal", "offer", "--licensee", "1", "--permit", "ai-train", "--price", "100"
        )[0]
        == 0
    )
    code, out, _ = run(capsys, *d, "deal", "open-vote", "1")
    # members are told the assessment with the vote: no leverage run here, pro rata by works
    assert code == 0 and "no leverage run yet" in out and "projected payouts (pro-rata-works" in out
    for m in range(1, 13):  # all 12 members: only then may the vote close early
        assert run(capsys, *d, "vote", "cast", "1", "--member", str(m), "--choice", "yes")[0] == 0
    code, _, err = run(capsys, *d, "vote", "cast", "1", "--member", "1", "--choice", "no")
    assert code != 0 and err.strip() == "error: member 1 has already voted on deal 1"
    code, out, _ = run(capsys, *d, "deal", "close-vote", "1", "--now", "--json")
    assert json.loads(out)["status"] == "approved"
    assert run(capsys, *d, "deal", "sign", "1")[0] == 0
    code, _, err = run(capsys, *d, "deal", "token", "1")
    assert code != 0 and err.strip() == "error: agreement 1 is not active"
    agreement_file = tmp_path / "d" / "agreements" / "agreement-1.json"
    code, sig, _ = run(capsys, "agreement", "signature", str(agreement_file), "--key", str(lab_key))
    assert code == 0
    assert run(capsys, *d, "deal", "countersign", "1", "--signature", sig.strip())[0] == 0
    code, out, _ = run(capsys, "agreement", "verify", str(agreement_file), "--json")
    assert code == 0 and json.loads(out)["works"] == 240
    code, token, _ = run(capsys, *d, "deal", "token", "1")
    out_file = tmp_path / "ds.jsonl"
    code, out, _ = run(
        capsys, *d, "export", "--agreement", "1", "--token", token.strip(), "--out", str(out_file)
    )
    assert code == 0 and len(out_file.read_text().splitlines()) == 240 + PER_AGREEMENT
    code, _, err = run(
        capsys, *d, "export", "--agreement", "1", "--token", "forged", "--out", str(out_file)
    )
    assert code != 0 and "not valid" in err
    code, out, err = run(capsys, *d, "payout", "book", "1", "--amount", "1000.00")
    assert code == 2 and out == "" and "above its price of 100.00 EUR" in err  # a typo?
    assert json.loads(run(capsys, *d, "report", "--json")[1])["revenue_minor"] == 0
    code, out, _ = run(capsys, *d, "payout", "book", "1", "--amount", "1000.00", "--yes")
    assert code == 0 and out.strip() == "booked 1,000.00 EUR for agreement 1"
    assert run(capsys, *d, "payout", "distribute", "1")[0] == 0
    code, out, _ = run(capsys, *d, "payout", "statements", "--member", "1", "--json")
    (statement,) = json.loads(out)
    assert statement["explanation"].startswith("You receive ")
    assert " of the 1,000.00 EUR distributed, pro rata by works" in statement["explanation"]
    code, out, _ = run(capsys, *d, "payout", "run")
    assert code == 0 and out.startswith("paid out 1,000.00 EUR in 12 payments")
    rep = json.loads(run(capsys, *d, "report", "--json")[1])
    assert rep["revenue_minor"] == rep["paid_out_minor"] == 100000  # JSON keeps minor units
    text = run(capsys, *d, "report")[1]
    assert "revenue: 1,000.00 EUR" in text and "minor" not in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["member", "list"], "run `syndic init` first"),
        (["terms", "set", "--permit", "ai-train", "--price", "-3"], "run `syndic init` first"),
    ],
)
def test_uninitialised_data_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err = run(capsys, "--data-dir", str(tmp_path / "none"), *args)
    assert code != 0
    assert message in err
    assert "Traceback" not in err


def test_bad_input_is_one_line(
    tmp_path: Path, fixture_jsonl: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = ["--data-dir", str(tmp_path / "d")]
    run(capsys, *d, "init", "--name", "C")
    cases = [
        (["import", "arxiv", str(tmp_path / "missing.jsonl")], "no such file"),
        (["import", "arxiv", str(tmp_path)], "is a directory"),
        (["terms", "set", "--permit", "ai-train", "--price", "-3"], "must not be negative"),
        (["terms", "set", "--permit", "ai-train", "--price", "1.005"], "decimal places"),
        (
            ["terms", "set", "--permit", "ai-train", "--price", "99999999999999999999"],
            "is over the maximum",
        ),
        (["terms", "set", "--permit", "ai-train", "--price", "0"], "needs an amount greater than"),
        (["member", "join", "--handle", "h" * 5000, "--payout-account", "a"], "the limit is 200"),
        (["vote", "cast", "1", "--member", "1", "--choice", "yes"], "no deal with id 1"),
        (["init", "--name", "again"], "already"),
    ]
    for args, message in cases:
        code, _, err = run(capsys, *d, *args)
        assert code != 0, args
        assert message in err, (args, err)
        assert len(err.strip().splitlines()) == 1, err


def test_unwritable_data_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A path under a regular file can never be created, even by root (CI may run as root,
    # which ignores permission bits).
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for target, message in ((blocker / "d", "not writable"), (blocker, "is a file")):
        code, _, err = run(capsys, "--data-dir", str(target), "init", "--name", "C")
        assert code != 0
        assert message in err
        assert "Traceback" not in err
    assert blocker.read_text() == "x"


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    from syndic.cli.main import all_commands

    for name, cmd in all_commands().items():
        code, out, _ = run(capsys, name, "--help")
        assert code == 0 and "Usage" in out, name
        for sub in getattr(cmd, "commands", {}):
            code, out, _ = run(capsys, name, sub, "--help")
            assert code == 0 and "--data-dir" in out, (name, sub)


def test_database_and_file_failures_are_our_errors(
    tmp_path: Path, fixture_jsonl: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = ["--data-dir", str(tmp_path / "d")]
    run(capsys, *d, "init", "--name", "C")
    run(capsys, *d, "import", "arxiv", str(fixture_jsonl))
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run(capsys, *d, "receipt", "export", str(blocker / "receipts"))
    assert code == 2 and err.startswith("error: cannot create directory") and "Traceback" not in err
    code, _, err = run(capsys, *d, "receipt", "issue", "1", "-o", str(blocker / "r.json"))
    assert code == 2 and err.startswith("error: ") and len(err.strip().splitlines()) == 1
    # a database the driver refuses: one line naming the database, not a traceback
    db = tmp_path / "d" / "syndic.db"
    assert db.exists()
    db.write_bytes(b"this is not a database" * 100)
    for wal in tmp_path.glob("d/syndic.db-*"):
        wal.unlink()
    code, _, err = run(capsys, *d, "member", "list")
    assert code != 0 and "database" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_a_bug_is_still_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from syndic.app import Syndic

    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(Syndic, "init", broken)
    code, _, err = run(capsys, "--data-dir", str(tmp_path / "d"), "init", "--name", "C")
    assert code == 1 and err == "error: unexpected RuntimeError: boom\n"


def test_the_help_table_matches_each_commands_own_help() -> None:
    from syndic.cli.main import COMMANDS, all_commands

    commands = all_commands()
    assert set(commands) == set(COMMANDS)
    for name, (_target, short) in COMMANDS.items():
        assert (commands[name].help or "").strip().splitlines()[0] == short, name


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["member", "jion"], "No such command 'jion'"),
        (["member", "join", "--bogus"], "No such option"),
        (["work", "show"], "Missing argument"),
        (["work", "show", "abc"], "is not a valid integer"),
    ],
)
def test_usage_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], needle: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and needle in err and err.startswith("error: "), err

"""``syndic log`` and ``syndic receipt`` through the real entry point, exit codes included."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from sqlalchemy import delete

from syndic.app import Syndic
from syndic.cli.main import main
from syndic.provenance.checkpoint import open_checkpoint
from syndic.provenance.merkle import leaf_hash, root_at, verify_consistency, verify_inclusion
from syndic.provenance.models import LogEntry
from syndic.provenance.note import parse_verifier_key
from syndic.provenance.tiles import TileHashes, decode_bundle
from tests.unit.provenance.helpers import add_works

WORKS = 9


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    assert main(["init", "--data-dir", str(d), "--name", "Test Writers"]) == 0
    syndic = Syndic.open(d)
    add_works(syndic, WORKS)
    syndic.close()
    return d


def run(capfd: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capfd.readouterr()
    code = main(list(args))
    out, err = capfd.readouterr()
    return code, out, err


def test_checkpoint_and_verifier_key(data_dir: Path, capfd: pytest.CaptureFixture[str]) -> None:
    code, note, _ = run(capfd, "log", "checkpoint", "--data-dir", str(data_dir))
    assert code == 0
    code, vkey, _ = run(capfd, "log", "verifier-key", "--data-dir", str(data_dir))
    cp = open_checkpoint(note, parse_verifier_key(vkey))
    assert cp.origin == "syndic/test-writers"
    assert cp.size == WORKS + 2
    code, out, _ = run(capfd, "log", "checkpoint", "--json", "--data-dir", str(data_dir))
    assert json.loads(out) == {
        "size": cp.size,
        "root": base64.b64encode(cp.root).decode(),
        "note": note,
    }


def test_entry_prints_exact_bytes(
    data_dir: Path, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    syndic = Syndic.open(data_dir)
    with syndic.db.read() as ses:
        want = syndic.log.entry(ses, 4)
    syndic.close()
    assert main(["log", "entry", "4", "--data-dir", str(data_dir)]) == 0
    assert capfdbinary.readouterr().out == want


def test_proofs_as_json(data_dir: Path, capfd: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capfd, "log", "prove-inclusion", "3", "--size", "7", "--json", "--data-dir", str(data_dir)
    )
    assert code == 0
    inc = json.loads(out)
    assert list(inc) == ["index", "tree_size", "leaf_hash", "proof", "root"]
    verify_inclusion(
        leaf_hash=base64.b64decode(inc["leaf_hash"]),
        index=3,
        size=7,
        proof=[base64.b64decode(p) for p in inc["proof"]],
        root=base64.b64decode(inc["root"]),
    )
    code, out, _ = run(
        capfd, "log", "prove-consistency", "3", "11", "--json", "--data-dir", str(data_dir)
    )
    con = json.loads(out)
    assert list(con) == ["old_size", "new_size", "proof", "old_root", "new_root"]
    verify_consistency(
        old_size=3,
        new_size=11,
        old_root=base64.b64decode(con["old_root"]),
        new_root=base64.b64decode(con["new_root"]),
        proof=[base64.b64decode(p) for p in con["proof"]],
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["prove-inclusion", "3", "--size", "500"], "beyond the log"),
        (["prove-inclusion", "50"], "not in a tree"),
        (["prove-consistency", "0", "5"], "old size"),
        (["prove-consistency", "4", "500"], "beyond the log"),
        (["entry", "99"], "no log entry 99"),
    ],
)
def test_refusals_are_one_line_errors(
    data_dir: Path, capfd: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err = run(capfd, "log", *args, "--data-dir", str(data_dir))
    assert code == 2
    assert err.startswith("error: ")
    assert message in err
    assert err.count("\n") == 1


def test_verify_passes_then_names_the_first_bad_index(
    data_dir: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capfd, "log", "verify", "--data-dir", str(data_dir))
    assert code == 0
    assert out.startswith("log OK: 11 entries")
    syndic = Syndic.open(data_dir)
    with syndic.db.write() as ses:
        ses.execute(delete(LogEntry).where(LogEntry.idx == 6))
    syndic.close()
    code, _, err = run(capfd, "log", "verify", "--data-dir", str(data_dir))
    assert code == 1
    assert "first bad index 6" in err
    code, out, _ = run(capfd, "log", "verify", "--json", "--data-dir", str(data_dir))
    assert code == 1
    assert json.loads(out)["first_bad_index"] == 6


def test_export_tiles_mirror_verifies(
    data_dir: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "tiles"
    code, out, _ = run(capfd, "log", "export-tiles", str(out_dir), "--data-dir", str(data_dir))
    assert code == 0
    assert "tree size 11" in out
    _, vkey, _ = run(capfd, "log", "verifier-key", "--data-dir", str(data_dir))
    cp = open_checkpoint((out_dir / "checkpoint").read_text(), parse_verifier_key(vkey))
    mirror = TileHashes(cp.size, lambda rel: (out_dir / rel).read_bytes())
    assert root_at(cp.size, mirror.subtree) == cp.root
    entries = decode_bundle((out_dir / "tile/entries/000.p/11").read_bytes())
    assert [leaf_hash(e) for e in entries] == [mirror.subtree(0, i) for i in range(11)]


def test_receipt_issue_and_offline_verify(
    data_dir: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "receipt.json"
    code, _, _ = run(capfd, "receipt", "issue", "3", "-o", str(path), "--data-dir", str(data_dir))
    assert code == 0
    syndic = Syndic.open(data_dir)
    key = syndic.signer.public_b64
    work = syndic.members.get_work(3)
    syndic.close()
    # offline: no data dir, nothing but the key
    code, out, _ = run(capfd, "receipt", "verify", str(path), "--key", key, "--json")
    assert code == 0
    got = json.loads(out)
    assert got["ok"] is True
    assert got["work"] == work.digest
    assert got["index"] == work.log_index
    other = base64.b64encode(b"\x01" * 32).decode()
    code, _, err = run(capfd, "receipt", "verify", str(path), "--key", other)
    assert code == 2
    assert "different coalition key" in err
    code, _, err = run(capfd, "receipt", "verify", str(tmp_path / "nope.json"), "--key", key)
    assert code == 2
    assert "cannot read receipt" in err


def test_receipt_export_every_work_verifies_offline(
    data_dir: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "receipts"
    code, text, _ = run(capfd, "receipt", "export", str(out), "--data-dir", str(data_dir))
    assert code == 0
    assert f"wrote {WORKS} receipts" in text
    syndic = Syndic.open(data_dir)
    key = syndic.signer.public_b64
    syndic.close()
    files = sorted(out.glob("*.json"))
    assert len(files) == WORKS
    for f in files:
        code, _, err = run(capfd, "receipt", "verify", str(f), "--key", key)
        assert code == 0, err


def test_work_add_writes_a_receipt_that_verifies_offline(
    data_dir: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    content = tmp_path / "essay.txt"
    content.write_text("an essay nobody has registered yet")
    receipt = tmp_path / "essay.receipt.json"
    d = ["--data-dir", str(data_dir)]
    code, out, err = run(
        capfd, "work", "add", str(content), "--title", "Essay", "--holder", "1=100",
        "--receipt", str(receipt), *d,
    )  # fmt: skip
    assert code == 0, err
    assert "receipt (log entry" in out
    syndic = Syndic.open(data_dir)
    key = syndic.signer.public_b64
    syndic.close()
    code, out, err = run(capfd, "receipt", "verify", str(receipt), "--key", key, "--json")
    assert code == 0, err
    assert json.loads(out)["work"].startswith("sha256:")
    tampered = tmp_path / "tampered.json"
    tampered.write_bytes(receipt.read_bytes().replace(b'"index":', b'"index":1', 1))
    code, _, err = run(capfd, "receipt", "verify", str(tampered), "--key", key)
    assert code == 2 and "Traceback" not in err

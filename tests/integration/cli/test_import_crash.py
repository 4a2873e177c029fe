"""`kill -9` of a real `syndic import` at several points: the store stays consistent (whole
batches, each with its log entries; the log verifies; every work's blob is there), `vault
verify` names what the kill left, `vault gc` removes it, and a re-run completes the import."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from syndic.app import Syndic
from syndic.config import Settings
from syndic.testing import ManualClock

ROWS = 600
BATCH = 20


def _count(db: Path, sql: str) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def _syndic(data: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "syndic.cli.main", "--data-dir", str(data), *args]


def _cli(data: Path, source: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        _syndic(data, "import", "arxiv", str(source), "--batch", str(BATCH), "--json"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _kill_at(data: Path, source: Path, works: int) -> None:
    """Start an import and SIGKILL it once ``works`` works are in (0: as soon as it runs)."""
    proc = _cli(data, source)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if _count(data / "syndic.db", "SELECT count(*) FROM works") >= works:
            break
        time.sleep(0.005)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the import ended before it could be killed"


def _consistent(data: Path) -> tuple[int, int]:
    """(works, orphans): every work has its log entry and its blob, the log verifies."""
    s = Syndic.from_settings(Settings(data_dir=data), clock=ManualClock())
    try:
        audit = s.provenance.verify()
        assert audit.ok, audit.problems[:3]
        vault = s.verify_vault()
        assert vault.ok, (vault.missing[:3], vault.corrupted[:3])
        works = s.report()["works"]
        assert works % BATCH == 0, "a batch is in whole or not at all"
        assert s.provenance.kind_counts().get("work.registered", 0) == works
        return works, len(vault.orphans)
    finally:
        s.close()


@pytest.mark.slow
def test_killed_imports_leave_a_consistent_store_and_a_rerun_completes(
    tmp_path: Path, shared: Path
) -> None:
    source = tmp_path / "papers.jsonl"
    with (shared / "data" / "arxiv" / "strat25k.jsonl").open() as fh, source.open("w") as out:
        for _ in range(ROWS):
            out.write(fh.readline())
    data = tmp_path / "data"
    Syndic.init(Settings(data_dir=data), name="Crash", clock=ManualClock()).close()
    seen = []
    for target in (0, BATCH, ROWS // 3, (2 * ROWS) // 3):
        _kill_at(data, source, target)
        works, orphans = _consistent(data)
        assert works >= target
        seen.append((works, orphans))
    assert len({w for w, _ in seen}) > 1, "the kills all landed at one point"
    done = subprocess.run(
        _syndic(data, "import", "arxiv", str(source), "--json"),
        capture_output=True,
        check=True,
    )
    result = json.loads(done.stdout)
    assert result["works_existing"] + result["works_created"] == ROWS
    works, _ = _consistent(data)
    assert works == ROWS
    subprocess.run(
        _syndic(data, "vault", "gc", "--older-than", "0"),
        capture_output=True,
        check=True,
    )
    assert _consistent(data) == (ROWS, 0)
    assert not list((data / "vault" / "tmp").iterdir())

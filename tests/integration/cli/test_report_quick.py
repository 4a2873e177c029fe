"""`syndic report` on SQLite answers from the quick read, without importing SQLAlchemy or
``Syndic``, and says what the full path says; an older schema takes the full path."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from syndic.cli.main import main
from syndic.storage.db import Database
from syndic.summary import quick_report
from tests.coalition import paid_world
from tests.conftest import MakeSyndic
from tests.migrations import migrate_to

LOADED = ("sqlalchemy", "syndic.app", "syndic.storage.db")


def run_report(data_dir: str, *args: str) -> tuple[dict[str, object], list[str]]:
    """``syndic report --json`` in a fresh interpreter: its report, and which of LOADED it
    imported."""
    code = (
        "import json, sys; from syndic.cli.main import main; "
        f"code = main(['report', '--json', '--data-dir', {data_dir!r}, *{list(args)!r}]); "
        f"print(json.dumps([m for m in {LOADED!r} if m in sys.modules]), file=sys.stderr); "
        "raise SystemExit(code)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), json.loads(done.stderr.splitlines()[-1])


def test_report_json_reads_without_sqlalchemy(make_syndic: MakeSyndic) -> None:
    w = paid_world(make_syndic)
    report, loaded = run_report(str(w.s.settings.data_dir))
    assert loaded == []
    assert report == w.s.report()


def test_a_fresh_coalition_reports_without_sqlalchemy(make_syndic: MakeSyndic) -> None:
    s = make_syndic()
    s.close()  # as after `syndic init`: no other connection, no WAL files left
    report, loaded = run_report(str(s.settings.data_dir))
    assert loaded == []
    assert report == s.report()


def test_an_older_schema_takes_the_full_path(
    make_syndic: MakeSyndic, capsys: pytest.CaptureFixture[str]
) -> None:
    w = paid_world(make_syndic)
    before = w.s.report()
    db = Database(w.s.settings.effective_database_url)
    try:
        migrate_to(db, "-1", down=True)
    finally:
        db.dispose()
    assert quick_report(w.s.settings) is None
    assert main(["report", "--json", "--data-dir", str(w.s.settings.data_dir)]) == 0
    assert json.loads(capsys.readouterr().out) == before  # Syndic migrated, then reported
    assert quick_report(w.s.settings) == before


def test_the_table_comes_from_the_quick_read_too(make_syndic: MakeSyndic) -> None:
    w = paid_world(make_syndic)
    code = (
        "import sys; from syndic.cli.main import main; "
        f"code = main(['report', '--data-dir', {str(w.s.settings.data_dir)!r}]); "
        "assert 'sqlalchemy' not in sys.modules; raise SystemExit(code)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert f"coalition: {w.s.name}" in done.stdout
    assert "revenue: 1,000.00 EUR" in done.stdout

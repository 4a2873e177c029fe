"""The report's figures: what ``Syndic.report()`` counts on SQLite and PostgreSQL, and the quick
read (stdlib sqlite3, no SQLAlchemy) that gives the same report or steps aside (None)."""

from __future__ import annotations

from pathlib import Path

from syndic.config import Settings
from syndic.storage.db import Database
from syndic.summary import quick_report, sqlite_file
from tests.coalition import FEE, paid_world
from tests.conftest import MakeSyndic
from tests.migrations import migrate_to


def test_the_report_counts_what_the_coalition_holds(make_syndic: MakeSyndic, backend: str) -> None:
    w = paid_world(make_syndic)
    paid = sum(p.amount_minor for m in w.members for p in w.s.payouts.payouts_to(m))
    assert paid > 0
    assert w.s.report() == {
        "coalition": w.s.name,
        "members": len(w.members),
        "works": len(w.works),
        "licensees": 1,
        "agreements_active": 1,
        "events": w.events(),
        "revenue_minor": FEE,
        "paid_out_minor": paid,
        "currency": w.s.settings.currency,
    }
    quick = quick_report(w.s.settings)
    if backend == "postgres":
        assert quick is None  # the full path reports on PostgreSQL
    else:
        assert quick == w.s.report()
        assert list(quick) == list(w.s.report())  # same order, so the same printed lines


def test_a_schema_behind_the_head_is_left_to_syndic(make_syndic: MakeSyndic) -> None:
    s = make_syndic()
    assert quick_report(s.settings) is not None
    db = Database(s.settings.effective_database_url)
    try:
        migrate_to(db, "-1", down=True)
    finally:
        db.dispose()
    assert quick_report(s.settings) is None


def test_no_database_no_quick_report(make_syndic: MakeSyndic, tmp_path: Path) -> None:
    s = make_syndic()
    s.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{s.settings.sqlite_path}{suffix}").unlink(missing_ok=True)
    assert s.settings.key_path.is_file()
    assert quick_report(s.settings) is None
    assert quick_report(Settings(data_dir=tmp_path / "nowhere")) is None


def test_only_a_plain_sqlite_file_is_read_directly() -> None:
    assert sqlite_file("sqlite:///d/syndic.db") == Path("d/syndic.db")
    assert sqlite_file("sqlite:////abs/syndic.db") == Path("/abs/syndic.db")
    for url in (
        "postgresql+psycopg://postgres@127.0.0.1:5432/syndic",
        "sqlite://",
        "sqlite:///:memory:",
        "sqlite:///d/syndic.db?timeout=5",
        "sqlite:///d%20e/syndic.db",  # SQLAlchemy would open "d e/syndic.db"
    ):
        assert sqlite_file(url) is None, url

"""A database written before the provenance revision is backfilled: appends and audits go on."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import text

from syndic.app import Syndic
from syndic.provenance.merkle import MemoryTree
from syndic.storage.db import Database
from tests.conftest import MakeSyndic
from tests.migrations import migrate_to

from .helpers import add_works, service

AT = datetime(2026, 1, 1, tzinfo=UTC)


def test_upgrade_backfills_hashes_of_existing_entries(make_syndic: MakeSyndic) -> None:
    syndic = make_syndic()
    add_works(syndic, 5)
    migrate_to(syndic.db, "0001_foundation", down=True)
    # the foundation append path: an entry row and the head's size, nothing else
    with syndic.db._write_engine.begin() as conn:
        size = conn.execute(text("SELECT size FROM log_head WHERE id = 1")).scalar_one()
        for i in range(3):
            conn.execute(
                text(
                    "INSERT INTO log_entries (idx, entry, kind, created_at)"
                    " VALUES (:i, :e, 'old', :t)"
                ),
                {"i": size + i, "e": b"old entry %d" % i, "t": AT.replace(tzinfo=None)},
            )
        conn.execute(text("UPDATE log_head SET size = :n WHERE id = 1"), {"n": size + 3})
    syndic.db.migrate()
    add_works(syndic, 2, start=10)
    with syndic.db.read() as ses:
        ref = MemoryTree.of(syndic.log.entries(ses, 0, syndic.log.size(ses)))
        assert syndic.log.root(ses) == ref.root()
        assert syndic.log.size(ses) == size + 3 + 3
    report = service(syndic).verify()
    assert report.ok, report.problems


def _append_from(syndic: Syndic, url: str, who: str, n: int, errors: list[BaseException]) -> None:
    db = Database(url)
    try:
        for i in range(n):
            with db.write() as ses:
                syndic.log.append(ses, b"%s %d" % (who.encode(), i), kind="race", at=AT)
    except BaseException as exc:  # pragma: no cover - reported by the assertion below
        errors.append(exc)
    finally:
        db.dispose()


def test_concurrent_writers_build_one_consistent_tree(
    make_syndic: MakeSyndic, backend: str
) -> None:
    syndic = make_syndic()
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_append_from, args=(syndic, syndic.db.url, name, 40, errors))
        for name in ("a", "b", "c")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with syndic.db.read() as ses:
        n = syndic.log.size(ses)
        assert n == 121
        ref = MemoryTree.of(syndic.log.entries(ses, 0, n))
        assert syndic.log.root(ses) == ref.root()
    assert service(syndic).verify().ok

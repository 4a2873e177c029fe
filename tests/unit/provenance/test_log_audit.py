"""``log verify`` catches every edit, deletion and reordering of entries, and bad vault blobs."""

from __future__ import annotations

import json

from sqlalchemy import delete, select, update

from syndic.app import Syndic
from syndic.members.models import Work
from syndic.provenance.models import LogCheckpoint, LogEntry, LogNode
from syndic.provenance.service import ProvenanceService
from syndic.vault import Digest
from tests.conftest import MakeSyndic

from .helpers import add_works, service


def _logged(
    make_syndic: MakeSyndic, works: int = 12, every: int = 5
) -> tuple[Syndic, ProvenanceService]:
    syndic = make_syndic()
    svc = service(syndic, every=every)
    add_works(syndic, works)
    svc.checkpoint()
    report = svc.verify()
    assert report.ok, report.problems
    assert report.entries_checked == works + 2
    assert report.blobs_checked == works
    assert report.checkpoints_checked == 3  # at 5, 10 and the final 14
    return syndic, svc


def _entry(syndic: Syndic, idx: int) -> bytes:
    with syndic.db.read() as ses:
        return syndic.log.entry(ses, idx)


def test_edited_entry_is_named(make_syndic: MakeSyndic, backend: str) -> None:
    syndic, svc = _logged(make_syndic)
    doc = json.loads(_entry(syndic, 7))
    doc["payload"]["title"] = "Someone Else's Work"
    with syndic.db.write() as ses:
        ses.execute(
            update(LogEntry).where(LogEntry.idx == 7).values(entry=json.dumps(doc).encode())
        )
    report = svc.verify()
    assert not report.ok
    assert report.first_bad_index == 7
    assert "leaf hash of entry 7" in report.problems[0]


def test_deleted_entry_is_named(make_syndic: MakeSyndic, backend: str) -> None:
    syndic, svc = _logged(make_syndic)
    with syndic.db.write() as ses:
        ses.execute(delete(LogEntry).where(LogEntry.idx == 4))
    report = svc.verify()
    assert report.first_bad_index == 4
    assert "log entry 4 is missing" in report.problems


def test_deleted_last_entry_is_named(make_syndic: MakeSyndic, backend: str) -> None:
    syndic, svc = _logged(make_syndic)
    with syndic.db.write() as ses:
        ses.execute(delete(LogEntry).where(LogEntry.idx == 13))
    report = svc.verify()
    assert report.first_bad_index == 13


def test_reordered_entries_are_named(make_syndic: MakeSyndic, backend: str) -> None:
    syndic, svc = _logged(make_syndic)
    a, b = _entry(syndic, 3), _entry(syndic, 9)
    with syndic.db.write() as ses:
        ses.execute(update(LogEntry).where(LogEntry.idx == 3).values(entry=b))
        ses.execute(update(LogEntry).where(LogEntry.idx == 9).values(entry=a))
    report = svc.verify()
    assert report.first_bad_index == 3
    assert any("entry 9" in p for p in report.problems)


def test_consistent_rewrite_of_entries_and_hashes_is_caught_by_signed_checkpoints(
    make_syndic: MakeSyndic, backend: str
) -> None:
    syndic, svc = _logged(make_syndic)
    # rewrite entry 6 and every stored hash above it so the table agrees with itself
    doc = json.loads(_entry(syndic, 6))
    doc["actor"] = "mallory"
    with syndic.db.write() as ses:
        ses.execute(
            update(LogEntry).where(LogEntry.idx == 6).values(entry=json.dumps(doc).encode())
        )
        entries = syndic.log.entries(ses, 0, 14)
        from syndic.provenance.merkle import MemoryTree

        forged = MemoryTree.of(entries)
        for (level, idx), h in forged.nodes.items():
            ses.execute(
                update(LogNode).where(LogNode.level == level, LogNode.idx == idx).values(hash=h)
            )
    report = svc.verify()
    assert not report.ok
    # checkpoint 5 still matches, checkpoint 10 does not: the change lies in 5..9
    assert report.first_bad_index == 5
    assert "checkpoint 10" in report.problems[0]


def test_inserted_node_tampering_is_named(make_syndic: MakeSyndic) -> None:
    syndic, svc = _logged(make_syndic)
    with syndic.db.write() as ses:
        ses.execute(
            update(LogNode).where(LogNode.level == 2, LogNode.idx == 1).values(hash=b"\x00" * 32)
        )
    report = svc.verify()
    assert report.first_bad_index == 4
    assert "subtree (2, 1)" in report.problems[0]


def test_forged_checkpoint_row_is_caught(make_syndic: MakeSyndic) -> None:
    syndic, svc = _logged(make_syndic)
    with syndic.db.write() as ses:
        note = ses.scalar(select(LogCheckpoint.note).where(LogCheckpoint.size == 10))
        assert note is not None
        ses.execute(
            update(LogCheckpoint)
            .where(LogCheckpoint.size == 10)
            .values(note=note.replace("\n10\n", "\n11\n"))
        )
    report = svc.verify()
    assert not report.ok
    assert "checkpoint 10" in report.problems[0]


def test_corrupted_and_missing_vault_blobs_are_named(make_syndic: MakeSyndic) -> None:
    syndic, svc = _logged(make_syndic)
    with syndic.db.read() as ses:
        works = list(ses.execute(select(Work.digest, Work.log_index).order_by(Work.log_index)))
    corrupt, missing = works[4], works[8]
    where = syndic.vault.locate(Digest.parse(corrupt[0]))
    assert where is not None
    with where[0].open("r+b") as fh:  # the blob may sit in a pack: flip its first byte
        fh.seek(where[1])
        first = fh.read(1)
        fh.seek(where[1])
        fh.write(bytes([first[0] ^ 1]))
    syndic.vault.discard([Digest.parse(missing[0])])
    report = svc.verify()
    assert report.first_bad_index == corrupt[1]
    assert any("corrupted" in p and str(corrupt[1]) in p for p in report.problems)
    assert any("missing" in p and str(missing[1]) in p for p in report.problems)


def test_entry_beyond_the_head_is_named(make_syndic: MakeSyndic) -> None:
    syndic, svc = _logged(make_syndic)
    from datetime import UTC, datetime

    with syndic.db.write() as ses:
        ses.add(LogEntry(idx=14, entry=b"{}", kind="x", created_at=datetime.now(UTC)))
    report = svc.verify()
    assert report.first_bad_index == 14

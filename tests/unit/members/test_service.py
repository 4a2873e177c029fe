"""The members service on a real store (SQLite and PostgreSQL): works, shares, imports."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from syndic.errors import InputFileError, NotFound, SharesError
from syndic.members import bulk
from syndic.members.bulk import ImportOptions, Planned, Row, run_import
from syndic.members.importer import import_arxiv
from syndic.members.service import NewWork
from syndic.provenance.models import LogEntry
from syndic.vault import Digest
from tests.conftest import MakeSyndic


def test_register_work_dedupes_and_logs(make_syndic: MakeSyndic, backend: str) -> None:
    syndic = make_syndic()
    a = syndic.members.join(handle="alice", name="Alice", payout_account="iban:A")
    b = syndic.members.join(handle="bob", name="Bob", payout_account="iban:B")
    work = NewWork(b"a poem", "Poem", "text", "poems", [(a.id, 6000), (b.id, 4000)], {})
    w1, created1 = syndic.members.register_work(work, registered_by=a.id)
    w2, created2 = syndic.members.register_work(work, registered_by=a.id)
    assert (created1, created2) == (True, False)
    assert w1.id == w2.id
    assert sorted((h.member_id, h.share_bp) for h in w1.holders) == [(a.id, 6000), (b.id, 4000)]
    with syndic.db.read() as sess:
        entry = sess.get(LogEntry, w1.log_index)
        assert entry is not None
        assert json.loads(entry.entry)["payload"]["digest"] == w1.digest
    assert syndic.report()["events"] == 4  # coalition, 2 joins, 1 registration


def test_bad_shares_write_nothing(make_syndic: MakeSyndic, backend: str) -> None:
    syndic = make_syndic()
    a = syndic.members.join(handle="alice", name="", payout_account="iban:A")
    before = syndic.report()
    with pytest.raises(SharesError):
        syndic.members.register_work(
            NewWork(b"x", "X", "text", "c", [(a.id, 9000)], {}), registered_by=a.id
        )
    with pytest.raises(NotFound):
        syndic.members.register_work(
            NewWork(b"x", "X", "text", "c", [(999, 10000)], {}), registered_by=999
        )
    assert syndic.report() == before
    assert list(syndic.vault) == []


def test_import_is_idempotent(make_syndic: MakeSyndic, backend: str, fixture_jsonl: Path) -> None:
    syndic = make_syndic()
    first = import_arxiv(syndic.members, fixture_jsonl)
    assert (first.members_created, first.works_created) == (12, 240)
    events = syndic.report()["events"]
    second = import_arxiv(syndic.members, fixture_jsonl)
    assert (second.members_created, second.works_created, second.works_existing) == (0, 0, 240)
    assert syndic.report()["events"] == events


def test_malformed_jsonl_names_the_line_and_writes_nothing(
    make_syndic: MakeSyndic, backend: str, fixture_jsonl: Path, tmp_path: Path
) -> None:
    syndic = make_syndic()
    lines = fixture_jsonl.read_text().splitlines()
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join([*lines[:5], '{"id": "x", "title": ', *lines[5:10]]) + "\n")
    with pytest.raises(InputFileError, match="line 6"):
        import_arxiv(syndic.members, bad)
    missing_field = tmp_path / "nofield.jsonl"
    row = json.loads(lines[0])
    del row["abstract"]
    missing_field.write_text(lines[1] + "\n" + json.dumps(row) + "\n")
    with pytest.raises(InputFileError, match="line 2: field 'abstract'"):
        import_arxiv(syndic.members, missing_field)
    with pytest.raises(InputFileError, match="no such file"):
        import_arxiv(syndic.members, tmp_path / "nope.jsonl")
    assert syndic.report()["works"] == 0
    assert syndic.report()["members"] == 0
    assert list(syndic.vault) == []


def test_an_import_writes_the_rows_it_checked_and_reads_a_large_input_again(
    make_syndic: MakeSyndic, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pass one keeps the rows it checked when they fit in HOLD_BYTES, and pass two writes
    those (the input is read once); a larger input is read again, with the same outcome."""
    s = make_syndic()
    reads: list[str] = []

    def rows(tag: str) -> Callable[[], Iterator[Row]]:
        def source() -> Iterator[Row]:
            reads.append(tag)
            for i in range(1, 6):
                text = f"{tag} story number {i}, long enough to be a work".encode()
                yield Planned(line=i, content=text, title=f"{tag} {i}", producer=f"{tag}{i}")

        return source

    held = run_import(s.members, rows("held"), limits=s.members.limits, options=ImportOptions())
    assert (held.works_created, held.members_created, reads) == (5, 5, ["held"])
    monkeypatch.setattr(bulk, "HOLD_BYTES", 100)  # two rows' worth
    again = run_import(s.members, rows("big"), limits=s.members.limits, options=ImportOptions())
    assert (again.works_created, again.members_created) == (5, 5)
    assert reads == ["held", "big", "big"]
    titles = sorted(w.title for w in s.members.list_works())
    assert titles == sorted([f"held {i}" for i in range(1, 6)] + [f"big {i}" for i in range(1, 6)])


def test_a_batch_whose_blobs_cannot_be_written_is_not_committed(
    make_syndic: MakeSyndic, monkeypatch: pytest.MonkeyPatch, fixture_jsonl: Path
) -> None:
    """The blobs are written beside the batch's rows, on a second thread: when that write
    fails, its error is raised and the batch is rolled back; the batches before it stand."""
    s = make_syndic()
    real = s.members.vault.put_many
    calls: list[int] = []

    def failing_second(blobs: list[tuple[Digest, bytes]]) -> int:
        calls.append(len(blobs))
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(blobs)

    monkeypatch.setattr(s.members.vault, "put_many", failing_second)
    with pytest.raises(OSError, match="No space left"):
        import_arxiv(s.members, fixture_jsonl, batch=100)
    works = s.members.list_works()
    assert len(works) == 100 and len(calls) == 2  # the first batch, not the second
    check = s.verify_vault()
    assert check.ok and check.missing == []  # every row's blob is there

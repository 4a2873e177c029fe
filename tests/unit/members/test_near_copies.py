"""Near copies are found at registration, one work at a time and in bulk: a member's own copy
is recorded, another member's work re-registered is a dispute candidate, the rest is not
flagged; the record and the log entry commit together (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from syndic.app import Syndic
from syndic.detection import minhash
from syndic.errors import InvalidInput
from syndic.members import copies
from syndic.members.importer import import_arxiv
from syndic.members.models import FULL_SHARE_BP, NearCopy, WorkSignature
from syndic.members.service import NewWork
from syndic.members.views import WorkView
from syndic.provenance.models import LogEntry
from tests.conftest import MakeSyndic


def _abstracts(path: Path, n: int) -> list[dict[str, str]]:
    with path.open() as fh:
        return [json.loads(line) for line, _ in zip(fh, range(n), strict=False)]


def _drop_word(text: str, at: int = 7) -> str:
    words = text.split(" ")
    del words[at]
    return " ".join(words)


def _register(s: Syndic, text: str, holder: int, title: str = "t") -> WorkView:
    view, created = s.members.register_work(
        NewWork(text.encode(), title, "text", "c", [(holder, FULL_SHARE_BP)], {}),
        registered_by=holder,
    )
    assert created
    return view


def _payload(s: Syndic, work: WorkView) -> dict[str, object]:
    with s.db.read() as session:
        entry = session.get(LogEntry, work.log_index)
        assert entry is not None
        payload: dict[str, object] = json.loads(entry.entry)["payload"]
        return payload


def test_registration_flags_another_members_copy_and_records_ones_own(
    make_syndic: MakeSyndic, backend: str, fixture_jsonl: Path
) -> None:
    s = make_syndic()
    alice = s.members.join(handle="alice", name="", payout_account="iban:A").id
    bob = s.members.join(handle="bob", name="", payout_account="iban:B").id
    one, two = (r["abstract"] for r in _abstracts(fixture_jsonl, 2))
    original = _register(s, one, alice)
    assert original.near_copy is None and "near_copy" not in _payload(s, original)
    unrelated = _register(s, two, alice)
    assert unrelated.near_copy is None

    own = _register(s, _drop_word(one, 9), alice)
    assert own.near_copy is not None
    assert own.near_copy["copy_of"] == original.id
    assert own.near_copy["state"] == "own" and not own.near_copy["dispute_candidate"]
    assert 0.7 <= own.near_copy["similarity"] < 1.0

    theirs = _register(s, _drop_word(one), bob)
    assert theirs.near_copy is not None
    assert theirs.near_copy["copy_of"] == original.id  # the earliest, not alice's own copy
    assert theirs.near_copy["state"] == "candidate" and theirs.near_copy["dispute_candidate"]
    assert theirs.status == "active"  # flagged, not held out of deals
    logged = _payload(s, theirs)["near_copy"]
    assert isinstance(logged, dict)
    assert logged["copy_of"] == original.id and logged["dispute_candidate"] is True
    assert 7000 <= logged["similarity_bp"] < 10_000

    # the steward's list of candidates, and each member's (both sides see it)
    (candidate,) = s.members.near_copies(candidates_only=True)
    assert candidate["work"] == theirs.id and candidate["copy_of"] == original.id
    assert candidate["holders"] == [bob] and candidate["original_holders"] == [alice]
    assert [c["work"] for c in s.members.near_copies(member_id=bob)] == [theirs.id]
    assert [c["work"] for c in s.members.near_copies(member_id=alice)] == [theirs.id, own.id]
    assert s.members.get_work(theirs.id).near_copy == theirs.near_copy

    # the steward opens a dispute: the candidate is now disputed, off the list to look at
    s.members.dispute_work(theirs.id, reason=f"copy of work {original.id}")
    assert s.members.near_copies(candidates_only=True) == []
    disputed = s.members.get_work(theirs.id).near_copy
    assert disputed is not None and disputed["state"] == "disputed"


def test_bad_input_writes_no_signature_and_no_copy(make_syndic: MakeSyndic) -> None:
    s = make_syndic()
    alice = s.members.join(handle="alice", name="", payout_account="iban:A").id
    text = "one two three four five six seven eight nine ten eleven twelve"
    _register(s, text, alice)
    before = s.report()
    with pytest.raises(InvalidInput):
        s.members.register_work(
            NewWork(text.encode() + b"!", "  ", "text", "c", [(alice, FULL_SHARE_BP)], {}),
            registered_by=alice,
        )
    assert s.report() == before
    with s.db.read() as session:
        assert session.scalar(select(func.count()).select_from(WorkSignature)) == 1
        assert session.scalar(select(func.count()).select_from(NearCopy)) == 0


def _producer(row: dict[str, object]) -> str:
    authors = row["authors"]
    assert isinstance(authors, list)
    return str(row.get("producer") or authors[0]).strip()


@pytest.mark.parametrize("held", ["in memory", "read where needed"])
def test_import_finds_copies_of_the_pool_and_inside_a_batch(
    make_syndic: MakeSyndic,
    backend: str,
    fixture_jsonl: Path,
    tmp_path: Path,
    held: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if held == "read where needed":  # a pool past the cap, read in chunks, through the bands
        monkeypatch.setattr(copies, "HELD_SIGNATURES", 50)
        monkeypatch.setattr(copies, "_READ_ROWS", 64)
        monkeypatch.setattr(minhash, "_BRUTE_CELLS", 0)
    s = make_syndic()
    first = import_arxiv(s.members, fixture_jsonl, batch=100)  # three batches
    assert first.works_created == 240
    assert s.members.near_copies() == []  # the fixture holds no near copies
    rows = _abstracts(fixture_jsonl, 3)

    def copy(row: dict[str, str], name: str, producer: str, abstract: str) -> dict[str, str]:
        return dict(row, id=name, title=name, producer=producer, abstract=abstract)

    fresh_text = " ".join(reversed(rows[2]["abstract"].split()))  # no shingle in common
    second = [
        # another producer re-registers a pooled work, one word dropped
        copy(rows[0], "theirs", "mallory", _drop_word(rows[0]["abstract"])),
        # the same producer registers a near copy of their own
        copy(rows[1], "own", _producer(rows[1]), _drop_word(rows[1]["abstract"], 11)),
        # a new work, and its copy by another producer later in the same batch
        copy(rows[2], "fresh", "carol", fresh_text),
        copy(rows[2], "fresh-copy", "eve", _drop_word(fresh_text, 20)),
    ]
    path = tmp_path / "second.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in second))
    import_arxiv(s.members, path)
    handles = {m.id: m.handle for m in s.members.list_members()}
    titles = {w.id: w.title for w in s.members.iter_works()}
    found = {c["title"]: c for c in s.members.near_copies()}
    assert sorted(found) == ["fresh-copy", "own", "theirs"]
    assert titles[found["theirs"]["copy_of"]] == rows[0]["title"]
    assert [handles[m] for m in found["theirs"]["holders"]] == ["mallory"]
    assert found["own"]["state"] == "own"
    assert titles[found["fresh-copy"]["copy_of"]] == "fresh"
    assert [handles[m] for m in found["fresh-copy"]["original_holders"]] == ["carol"]
    candidates = {c["title"] for c in s.members.near_copies(candidates_only=True)}
    assert candidates == {"theirs", "fresh-copy"}
    with s.db.read() as session:
        n_sigs = session.scalar(select(func.count()).select_from(WorkSignature))
        logged = [
            json.loads(e)["payload"].get("near_copy")
            for e in session.scalars(select(LogEntry.entry).order_by(LogEntry.idx))
        ]
    assert n_sigs == 244  # every work with text has its signature
    assert sum(1 for n in logged if n) == 3
    assert sum(1 for n in logged if n and n["dispute_candidate"]) == 2


def test_cli_and_api_show_the_flag(
    make_syndic: MakeSyndic, fixture_jsonl: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from fastapi.testclient import TestClient

    from syndic.api.app import create_app
    from syndic.auth.service import Role
    from syndic.cli.main import main

    s = make_syndic()
    alice = s.members.join(handle="alice", name="", payout_account="iban:A").id
    bob = s.members.join(handle="bob", name="", payout_account="iban:B").id
    carol = s.members.join(handle="carol", name="", payout_account="iban:C").id
    one = _abstracts(fixture_jsonl, 1)[0]["abstract"]
    original = _register(s, one, alice)
    data_dir = str(s.settings.data_dir)
    s.close()
    copy = tmp_path / "copy.txt"
    copy.write_text(_drop_word(one))
    args = ["--data-dir", data_dir, "work", "add", str(copy), "--title", "Mine now"]
    assert main([*args, "--holder", f"{bob}=100"]) == 0
    out = capsys.readouterr().out
    assert f"near copy of work {original.id}" in out and "dispute candidate" in out
    assert main(["--data-dir", data_dir, "work", "copies", "--candidates", "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["copy_of"] == original.id and listed["holders"] == [bob]
    # bad input: one line, non-zero, nothing registered
    assert main(["--data-dir", data_dir, "work", "copies", "--member", "999"]) != 0
    assert len(capsys.readouterr().err.strip().splitlines()) == 1

    s = Syndic.open(data_dir)
    try:
        keys = {
            "steward": s.keys.create(role=Role.STEWARD, subject_id=None),
            "alice": s.keys.create(role=Role.MEMBER, subject_id=alice),
            "carol": s.keys.create(role=Role.MEMBER, subject_id=carol),
        }
        with TestClient(create_app(s)) as c:
            r = c.get(f"/v1/works/{listed['work']}", headers=_bearer(keys["steward"]))
            assert r.status_code == 200 and r.json()["near_copy"]["dispute_candidate"] is True
            r = c.get("/v1/near-copies?candidates=true", headers=_bearer(keys["steward"]))
            assert [x["work"] for x in r.json()] == [listed["work"]]
            # the original's holder sees it; a member on neither side sees nothing
            r = c.get(f"/v1/members/{alice}/near-copies", headers=_bearer(keys["alice"]))
            assert [x["copy_of"] for x in r.json()] == [original.id]
            r = c.get(f"/v1/members/{carol}/near-copies", headers=_bearer(keys["carol"]))
            assert r.json() == []
            r = c.get("/v1/near-copies", headers=_bearer(keys["alice"]))
            assert r.status_code == 403
            r = c.get(f"/v1/works/{original.id}", headers=_bearer(keys["alice"]))
            assert r.json()["near_copy"] is None  # the original is not a copy
    finally:
        s.close()


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_the_audit_replays_near_copies_and_catches_a_removed_flag(
    make_syndic: MakeSyndic, backend: str
) -> None:
    from sqlalchemy import text as sql

    s = make_syndic()
    alice = s.members.join(handle="alice", name="", payout_account="iban:A").id
    bob = s.members.join(handle="bob", name="", payout_account="iban:B").id
    words = " ".join(f"tide{i}" for i in range(80))
    _register(s, words, alice)
    _register(s, words.replace("tide10 ", ""), alice)  # own
    theirs = _register(s, words.replace("tide50 ", ""), bob)  # candidate
    s.members.dispute_work(theirs.id, reason="copy")

    def near_check() -> str | None:
        (check,) = [c for c in s.state_audit.run().checks if c.name == "members.near_copies"]
        return check.difference

    assert near_check() is None
    with s.db.write() as session:  # an intruder clears the flag
        session.execute(
            sql("UPDATE near_copies SET state = 'own' WHERE work_id = :w"), {"w": theirs.id}
        )
    assert near_check() == (
        f"near_copies row {theirs.id}: state is 'own' in the table but 'disputed' in the log"
    )
    with s.db.write() as session:  # ... or deletes it
        session.execute(sql("DELETE FROM near_copies WHERE work_id = :w"), {"w": theirs.id})
    assert f"near_copies row {theirs.id} is in the log but missing" in (near_check() or "")

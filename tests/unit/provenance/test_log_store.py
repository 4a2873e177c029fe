"""The database log on SQLite and PostgreSQL: appends, proofs, checkpoints, atomicity."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

import pytest
from sqlalchemy import func, select, update

from syndic.app import Syndic
from syndic.errors import InvalidInput
from syndic.provenance.checkpoint import Checkpoint
from syndic.provenance.events import Event
from syndic.provenance.merkle import MemoryTree, verify_inclusion
from syndic.provenance.models import LogCheckpoint, LogEntry, LogHead, LogNode
from tests.conftest import MakeSyndic

from .helpers import add_works, service

AT = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Probe(Event):
    """A test-only event (tests' kinds are not documented: the docs test reads syndic's own)."""

    kind: ClassVar[str] = "test.probe"
    optional: ClassVar[frozenset[str]] = frozenset({"n"})
    n: int | str | None = None


def _mirror(syndic: Syndic) -> MemoryTree:
    with syndic.db.read() as ses:
        return MemoryTree.of(syndic.log.entries(ses, 0, syndic.log.size(ses)))


def test_appends_match_the_reference_tree(make_syndic: MakeSyndic, backend: str) -> None:
    syndic = make_syndic()
    add_works(syndic, 20)
    ref = _mirror(syndic)
    with syndic.db.read() as ses:
        n = syndic.log.size(ses)
        assert n == ref.size >= 22
        for size in range(1, n + 1):
            assert syndic.log.root(ses, size) == ref.root(size)
            for idx in range(0, size, 3):
                assert syndic.log.inclusion_proof(ses, idx, size) == ref.inclusion_proof(idx, size)
            for old in range(1, size + 1, 4):
                assert syndic.log.consistency_proof(ses, old, size) == ref.consistency_proof(
                    old, size
                )
        nodes = ses.scalar(select(func.count()).select_from(LogNode))
        assert nodes == 2 * n - n.bit_count()  # every complete subtree, once


def test_batched_and_single_appends_build_the_same_tree(
    make_syndic: MakeSyndic, backend: str
) -> None:
    syndic = make_syndic()
    batch = [b"batched %d" % i for i in range(300)]
    with syndic.db.write() as ses:
        idx = syndic.log.append_many(ses, [(e, "bench", AT) for e in batch])
        assert syndic.log.append_many(ses, []) == []
    assert idx == list(range(1, 301))
    for i in range(40):
        with syndic.db.write() as ses:
            assert syndic.log.append(ses, b"single %d" % i, kind="bench", at=AT) == 301 + i
    with syndic.db.write() as ses:
        syndic.log.append_many(ses, [(b"tail %d" % i, "bench", AT) for i in range(5)])
    ref = _mirror(syndic)
    assert ref.entries[1:301] == batch
    with syndic.db.read() as ses:
        assert syndic.log.size(ses) == 346
        assert syndic.log.root(ses) == ref.root()
        for old in (1, 2, 77, 256, 300, 301, 345):
            assert syndic.log.consistency_proof(ses, old) == ref.consistency_proof(old)
            assert syndic.log.inclusion_proof(ses, old - 1) == ref.inclusion_proof(old - 1)
        assert syndic.log.hashes(ses, 8, 0, 1) == [ref.subtree(8, 0)]


def test_held_appends_take_their_indices_at_once_and_build_the_same_tree(
    make_syndic: MakeSyndic, backend: str
) -> None:
    syndic = make_syndic()
    service(syndic, every=16)
    with syndic.db.write() as ses, syndic.log.batched(ses) as flush:
        first = [syndic.events.record(ses, Probe(i), actor="t") for i in range(10)]
        assert first == list(range(1, 11))  # indices known before any row is written
        assert ses.scalar(select(func.count()).select_from(LogEntry)) == 1
        flush()
        assert ses.scalar(select(func.count()).select_from(LogEntry)) == 11
        more = [syndic.events.record(ses, Probe(i), actor="t") for i in range(25)]
        assert more == list(range(11, 36))
        assert syndic.log.size(ses) == 36  # a read writes what is held first
        assert syndic.log.entry(ses, 35) == ses.scalar(
            select(LogEntry.entry).where(LogEntry.idx == 35)
        )
        syndic.events.record(ses, Probe("last"), actor="t")
        with pytest.raises(RuntimeError, match="already batched"), syndic.log.batched(ses):
            pass
    ref = _mirror(syndic)
    with syndic.db.read() as ses:
        assert syndic.log.size(ses) == ref.size == 37
        assert syndic.log.root(ses) == ref.root()
        for i in (0, 1, 10, 11, 35, 36):
            assert syndic.log.inclusion_proof(ses, i) == ref.inclusion_proof(i)
        nodes = ses.scalar(select(func.count()).select_from(LogNode))
        assert nodes == 2 * 37 - (37).bit_count()
        assert [cp.size for cp in syndic.log.checkpoints(ses)] == [
            36
        ]  # crossed 16 and 32 once each write


def test_held_appends_of_a_failed_change_are_never_written(
    make_syndic: MakeSyndic, backend: str
) -> None:
    syndic = make_syndic()

    def bulk_change() -> None:
        with syndic.db.write() as ses, syndic.log.batched(ses):
            syndic.events.record(ses, Probe(), actor="t")
            raise RuntimeError("the bulk change failed")

    with pytest.raises(RuntimeError, match="failed"):
        bulk_change()
    with syndic.db.read() as ses:
        assert syndic.log.size(ses) == 1
    with syndic.db.write() as ses:
        assert syndic.events.record(ses, Probe(), actor="t") == 1


def _failing_change(syndic: Syndic) -> None:
    with syndic.db.write() as ses:
        syndic.events.record(ses, Probe(1), actor="t")
        syndic.events.record(ses, Probe(2), actor="t")
        raise RuntimeError("the state change failed")


def test_aborted_change_leaves_no_leaf(make_syndic: MakeSyndic, backend: str) -> None:
    syndic = make_syndic()
    svc = service(syndic, every=2)
    before = svc.checkpoint()
    with pytest.raises(RuntimeError, match="state change failed"):
        _failing_change(syndic)
    with syndic.db.read() as ses:
        assert syndic.log.size(ses) == before.size
        assert ses.scalar(select(func.count()).select_from(LogEntry)) == before.size
        assert ses.scalar(select(func.count()).select_from(LogCheckpoint)) == 1
    add_works(syndic, 3)  # appends continue from the committed frontier
    assert svc.verify().ok


def test_checkpoint_every_n_appends_and_on_demand(make_syndic: MakeSyndic, backend: str) -> None:
    syndic = make_syndic()
    svc = service(syndic, every=4)
    add_works(syndic, 9)  # 1 founding + 1 member + 9 works = 11 entries
    with syndic.db.read() as ses:
        sizes = [cp.size for cp in syndic.log.checkpoints(ses)]
        assert sizes == [4, 8]
        for cp in syndic.log.checkpoints(ses):
            parsed = svc.signer.open(cp.note)
            assert parsed == Checkpoint(svc.origin, cp.size, syndic.log.root(ses, cp.size))
    cp = svc.checkpoint()
    assert cp.size == 11
    assert svc.checkpoint() == cp  # nothing appended: the same checkpoint, not a new signature
    with syndic.db.read() as ses, pytest.raises(InvalidInput, match="no signing key"):
        type(syndic.log)().make_checkpoint(ses, at=AT)


def test_proof_json_shapes_and_refusals(make_syndic: MakeSyndic, backend: str) -> None:
    syndic = make_syndic()
    svc = service(syndic)
    add_works(syndic, 6)
    inc = svc.prove_inclusion(3)
    assert set(inc) == {"index", "tree_size", "leaf_hash", "proof", "root"}
    verify_inclusion(
        leaf_hash=base64.b64decode(inc["leaf_hash"]),
        index=3,
        size=inc["tree_size"],
        proof=[base64.b64decode(h) for h in inc["proof"]],
        root=base64.b64decode(inc["root"]),
    )
    con = svc.prove_consistency(2, 7)
    assert set(con) == {"old_size", "new_size", "proof", "old_root", "new_root"}
    with pytest.raises(InvalidInput, match="beyond the log"):
        svc.prove_inclusion(0, 9)
    with pytest.raises(InvalidInput, match="not in a tree of size 4"):
        svc.prove_inclusion(5, 4)
    with pytest.raises(InvalidInput, match="beyond the log"):
        svc.prove_consistency(2, 100)
    with pytest.raises(InvalidInput, match="old size"):
        svc.prove_consistency(0, 3)
    with pytest.raises(InvalidInput, match="larger than new size"):
        svc.prove_consistency(5, 3)


def test_oversized_entry_is_refused_before_writing(make_syndic: MakeSyndic) -> None:
    syndic = make_syndic()
    with syndic.db.write() as ses, pytest.raises(InvalidInput, match="at most 65535"):
        syndic.log.append(ses, b"x" * 70_000, kind="big", at=AT)
    with syndic.db.read() as ses:
        assert syndic.log.size(ses) == 1


def test_head_without_frontier_is_rebuilt_from_stored_nodes(make_syndic: MakeSyndic) -> None:
    syndic = make_syndic()
    add_works(syndic, 5)
    with syndic.db.write() as ses:
        ses.execute(update(LogHead).values(frontier=None))
    add_works(syndic, 4, start=50)
    ref = _mirror(syndic)
    with syndic.db.read() as ses:
        assert syndic.log.root(ses) == ref.root()


def test_batched_inclusion_proofs_equal_single_ones(make_syndic: MakeSyndic, backend: str) -> None:
    syndic = make_syndic()
    add_works(syndic, 13)
    with syndic.db.read() as ses:
        size = syndic.log.size(ses)
        wanted = [0, 5, size - 1, 5, 7]
        assert syndic.log.inclusion_proofs(ses, wanted, size) == [
            syndic.log.inclusion_proof(ses, i, size) for i in wanted
        ]
        assert syndic.log.inclusion_proofs(ses, [], size) == []
        with pytest.raises(InvalidInput, match=f"not in a tree of size {size - 2}"):
            syndic.log.inclusion_proofs(ses, [1, size - 1], size - 2)

"""The transparency log on the database: O(log n) appends, proofs from stored subtree hashes.

Every append runs in the caller's write transaction, so a state change and its leaf commit
together or not at all. It locks the ``log_head`` row (``FOR UPDATE`` on PostgreSQL; SQLite
writers are already serialised by ``BEGIN IMMEDIATE``), reads the frontier stored there,
pushes the leaf, and inserts the leaf and the complete subtrees it finished into
``log_nodes``: on average two rows, never a recomputation of the tree.

Proofs and roots read the O(log n) subtree hashes they need in one query. With a
``LogSigner`` configured, a signed checkpoint is stored each time the size crosses a multiple
of ``checkpoint_every``; ``make_checkpoint`` signs one on demand.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Table, and_, insert, or_, select, update
from sqlalchemy.orm import Session

from syndic.errors import InvalidInput, LogTampered, NotFound
from syndic.provenance import merkle
from syndic.provenance.checkpoint import LogSigner
from syndic.provenance.merkle import HASH_SIZE, Frontier, SubtreeHash, leaf_hash
from syndic.provenance.models import LogCheckpoint, LogEntry, LogHead, LogNode
from syndic.provenance.tiles import MAX_ENTRY_BYTES
from syndic.storage.bulk import insert_columns

T = TypeVar("T")
_PLACEHOLDER = b"\x00" * HASH_SIZE
_CHUNK = 500  # keys per IN (...) query, well under every backend's parameter limit
_PENDING = "syndic.log.pending"  # session.info key of a batch of held appends


@dataclass
class _Pending:
    """Appends not yet written: leaves get indices from the locked frontier as they come."""

    frontier: Frontier
    first: int = field(init=False)  # the size when the rows held now began
    # the rows to write, column by column (no dict per row)
    entries: dict[str, list[object]] = field(
        default_factory=lambda: {"idx": [], "entry": [], "kind": [], "created_at": []}
    )
    nodes: dict[str, list[object]] = field(
        default_factory=lambda: {"level": [], "idx": [], "hash": []}
    )

    def __post_init__(self) -> None:
        self.first = self.frontier.size

    def add(self, entry: bytes, kind: str, at: datetime) -> int:
        index = self.frontier.size
        levels, idxs, hashes = self.nodes["level"], self.nodes["idx"], self.nodes["hash"]
        for level, idx, h in self.frontier.append(leaf_hash(entry)):
            levels.append(level)
            idxs.append(idx)
            hashes.append(h)
        e = self.entries
        e["idx"].append(index)
        e["entry"].append(entry)
        e["kind"].append(kind)
        e["created_at"].append(at)
        return index

    def reset(self) -> None:
        self.first = self.frontier.size
        for column in (*self.entries.values(), *self.nodes.values()):
            column.clear()


@dataclass(frozen=True)
class StoredCheckpoint:
    size: int
    root: bytes
    note: str
    created_at: datetime


class TransparencyLog:
    def __init__(self, *, signer: LogSigner | None = None, checkpoint_every: int = 1000) -> None:
        if checkpoint_every < 1:
            raise InvalidInput("checkpoint_every must be at least 1")
        self.signer = signer
        self.checkpoint_every = checkpoint_every

    # --- appending -----------------------------------------------------------------------
    def append(self, session: Session, entry: bytes, *, kind: str, at: datetime) -> int:
        """Append one leaf and return its index. Must run inside a write transaction."""
        return self.append_many(session, [(entry, kind, at)])[0]

    def append_many(
        self, session: Session, entries: Sequence[tuple[bytes, str, datetime]]
    ) -> list[int]:
        """Append leaves in order, in one round of statements; return their indices."""
        if not entries:
            return []
        for entry, kind, _ in entries:
            if len(entry) > MAX_ENTRY_BYTES:
                raise InvalidInput(f"a log entry is at most {MAX_ENTRY_BYTES} bytes")
            if not kind or len(kind) > 64:
                raise InvalidInput("an entry kind is 1 to 64 characters")
        held: _Pending | None = session.info.get(_PENDING)
        pending = held if held is not None else _Pending(self._lock_head(session))
        indices = [pending.add(entry, kind, at) for entry, kind, at in entries]
        if held is None:
            self._write(session, pending)
        return indices

    def serialise(self, session: Session) -> None:
        """Take the lock every append takes (the head row), held until the transaction ends.
        A use case that reads state and then writes on what it read (a payout run reads the
        balances owed) calls this first, so no other writer can change what it read before it
        commits. (SQLite's ``BEGIN IMMEDIATE`` already serialises writers.)"""
        session.execute(select(LogHead.id).where(LogHead.id == 1).with_for_update())

    @contextmanager
    def batched(self, session: Session) -> Iterator[Callable[[], None]]:
        """Hold this session's appends in memory for the block: each gets its index at once
        (the head stays locked until the transaction ends), and their rows are written together
        by the yielded ``flush`` and at the end of the block. A bulk writer (the importer) saves
        four statements per entry; a read of the log in the session writes what is held first.
        """
        if _PENDING in session.info:
            raise RuntimeError("appends are already batched in this session")
        pending = _Pending(self._lock_head(session))
        session.info[_PENDING] = pending
        try:
            yield lambda: self._write(session, pending)
            self._write(session, pending)
        finally:
            session.info.pop(_PENDING, None)

    def next_index(self, session: Session) -> int:
        """The index the next append in ``session`` will get. Inside ``batched`` the head is
        held, so a bulk writer can plan its rows' indices before it records their events."""
        pending: _Pending | None = session.info.get(_PENDING)
        if pending is None:
            raise RuntimeError("next_index needs the appends batched (the head held)")
        return pending.frontier.size

    def lock_head(self, session: Session) -> int:
        """Hold the log's head for this transaction (every writer that appends waits) and
        return the size; for a change that must not race with any registration."""
        self._settle(session)
        return self._lock_head(session).size

    def _settle(self, session: Session) -> None:
        pending: _Pending | None = session.info.get(_PENDING)
        if pending is not None:
            self._write(session, pending)

    def _write(self, session: Session, pending: _Pending) -> None:
        """Insert the held leaves and the subtree hashes they completed, move the head, and
        sign a checkpoint if the size crossed a multiple of ``checkpoint_every``."""
        if not pending.entries["idx"]:
            return
        frontier, first = pending.frontier, pending.first
        insert_columns(session, _table(LogEntry), pending.entries)
        insert_columns(session, _table(LogNode), pending.nodes)
        session.execute(
            update(LogHead)
            .where(LogHead.id == 1)
            .values(size=frontier.size, frontier=b"".join(frontier.hashes))
        )
        every = self.checkpoint_every
        if self.signer is not None and frontier.size // every > first // every:
            last_at = pending.entries["created_at"][-1]
            assert isinstance(last_at, datetime)
            self._store_checkpoint(session, frontier.size, frontier.root(), last_at)
        pending.reset()

    def _lock_head(self, session: Session) -> Frontier:
        row = session.execute(
            select(LogHead.size, LogHead.frontier).where(LogHead.id == 1).with_for_update()
        ).one_or_none()
        if row is None:
            session.execute(insert(LogHead).values(id=1, size=0, frontier=b""))
            return Frontier()
        size, packed = int(row[0]), row[1]
        if packed is not None and len(packed) == HASH_SIZE * size.bit_count():
            return Frontier(size, [packed[i : i + HASH_SIZE] for i in range(0, len(packed), 32)])
        return Frontier.load(size, self._reader(session))

    # --- reading -------------------------------------------------------------------------
    def size(self, session: Session) -> int:
        self._settle(session)
        size = session.scalar(select(LogHead.size).where(LogHead.id == 1))
        return 0 if size is None else int(size)

    def kind_counts(self, session: Session) -> dict[str, int]:
        """Entries per kind, most frequent first (ties in order of first appearance)."""
        kinds = Counter(session.scalars(select(LogEntry.kind).order_by(LogEntry.idx)))
        return dict(kinds.most_common())

    def entry(self, session: Session, index: int) -> bytes:
        self._settle(session)
        data = session.scalar(select(LogEntry.entry).where(LogEntry.idx == index))
        if data is None:
            raise NotFound(f"no log entry {index} (log size {self.size(session)})")
        return bytes(data)

    def entries(self, session: Session, begin: int, end: int) -> list[bytes]:
        self._settle(session)
        rows = session.execute(
            select(LogEntry.idx, LogEntry.entry)
            .where(LogEntry.idx >= begin, LogEntry.idx < end)
            .order_by(LogEntry.idx)
        ).all()
        if [int(r[0]) for r in rows] != list(range(begin, end)):
            raise LogTampered(f"log entries {begin}..{end - 1} are not all present")
        return [bytes(r[1]) for r in rows]

    def hashes(self, session: Session, level: int, begin: int, end: int) -> list[bytes]:
        """Consecutive complete-subtree hashes at one level (a tile row)."""
        self._settle(session)
        rows = session.execute(
            select(LogNode.idx, LogNode.hash)
            .where(LogNode.level == level, LogNode.idx >= begin, LogNode.idx < end)
            .order_by(LogNode.idx)
        ).all()
        if [int(r[0]) for r in rows] != list(range(begin, end)):
            raise LogTampered(f"stored hashes at level {level}, {begin}..{end - 1} are missing")
        return [bytes(r[1]) for r in rows]

    def root(self, session: Session, size: int | None = None) -> bytes:
        n = self._size_arg(session, size)
        return self._prefetched(session, lambda sub: merkle.root_at(n, sub))

    def inclusion_proof(self, session: Session, index: int, size: int | None = None) -> list[bytes]:
        n = self._size_arg(session, size)
        if not 0 <= index < n:
            raise InvalidInput(f"leaf index {index} is not in a tree of size {n}")
        return self._prefetched(session, lambda sub: merkle.inclusion_proof(index, n, sub))

    def inclusion_proofs(
        self, session: Session, indices: Sequence[int], size: int | None = None
    ) -> list[list[bytes]]:
        """Many inclusion proofs against one tree, their nodes fetched together (receipts)."""
        n = self._size_arg(session, size)
        for index in indices:
            if not 0 <= index < n:
                raise InvalidInput(f"leaf index {index} is not in a tree of size {n}")
        return self._prefetched(
            session, lambda sub: [merkle.inclusion_proof(i, n, sub) for i in indices]
        )

    def consistency_proof(
        self, session: Session, old_size: int, new_size: int | None = None
    ) -> list[bytes]:
        n = self._size_arg(session, new_size)
        return self._prefetched(session, lambda sub: merkle.consistency_proof(old_size, n, sub))

    def leaf_hash(self, session: Session, index: int) -> bytes:
        return self._reader(session)(0, index)

    def _size_arg(self, session: Session, size: int | None) -> int:
        current = self.size(session)
        if size is None:
            return current
        if not 0 <= size <= current:
            raise InvalidInput(f"tree size {size} is beyond the log (size {current})")
        return size

    def _reader(self, session: Session) -> SubtreeHash:
        self._settle(session)

        def read(level: int, index: int) -> bytes:
            h = session.scalar(
                select(LogNode.hash).where(LogNode.level == level, LogNode.idx == index)
            )
            if h is None:
                raise LogTampered(f"stored hash of subtree ({level}, {index}) is missing")
            return bytes(h)

        return read

    def _prefetched(self, session: Session, compute: Callable[[SubtreeHash], T]) -> T:
        """Run ``compute`` twice: once to learn which nodes it reads (the walk depends only on
        indices, never on hash values), then on those nodes fetched in one query."""
        wanted: list[tuple[int, int]] = []

        def record(level: int, index: int) -> bytes:
            wanted.append((level, index))
            return _PLACEHOLDER

        compute(record)
        found: dict[tuple[int, int], bytes] = {}
        keys = sorted(set(wanted))
        for i in range(0, len(keys), _CHUNK):
            found.update(_fetch_nodes(session, keys[i : i + _CHUNK]))

        def lookup(level: int, index: int) -> bytes:
            try:
                return found[(level, index)]
            except KeyError:
                raise LogTampered(f"stored hash of subtree ({level}, {index}) is missing") from None

        return compute(lookup)

    # --- checkpoints ---------------------------------------------------------------------
    def make_checkpoint(self, session: Session, *, at: datetime) -> StoredCheckpoint:
        """Sign and store a checkpoint of the current tree (or return the one of that size)."""
        if self.signer is None:
            raise InvalidInput("this log has no signing key configured")
        self._settle(session)
        # lock the head as appends do, so two signers never race to store the same size
        locked = session.scalar(select(LogHead.size).where(LogHead.id == 1).with_for_update())
        size = 0 if locked is None else int(locked)
        existing = self.checkpoint_at(session, size)
        if existing is not None:
            return existing
        return self._store_checkpoint(session, size, self.root(session, size), at)

    def _store_checkpoint(
        self, session: Session, size: int, root: bytes, at: datetime
    ) -> StoredCheckpoint:
        assert self.signer is not None
        note = self.signer.sign(size, root)
        session.execute(
            insert(LogCheckpoint).values(size=size, root=root, note=note, created_at=at)
        )
        return StoredCheckpoint(size, root, note, at)

    def latest_checkpoint(self, session: Session) -> StoredCheckpoint | None:
        row = session.scalars(
            select(LogCheckpoint).order_by(LogCheckpoint.size.desc()).limit(1)
        ).first()
        return None if row is None else _stored(row)

    def checkpoint_at(self, session: Session, size: int) -> StoredCheckpoint | None:
        row = session.get(LogCheckpoint, size)
        return None if row is None else _stored(row)

    def checkpoints(self, session: Session) -> list[StoredCheckpoint]:
        rows = session.scalars(select(LogCheckpoint).order_by(LogCheckpoint.size))
        return [_stored(r) for r in rows]


def _table(model: type[LogEntry] | type[LogNode]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _fetch_nodes(session: Session, keys: list[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """Point reads by primary key, one ``level = ? AND idx IN (...)`` term per level: SQLite
    plans a row-value ``(level, idx) IN (...)`` as a full scan, this as index lookups."""
    by_level: dict[int, list[int]] = {}
    for level, idx in keys:
        by_level.setdefault(level, []).append(idx)
    terms = [
        and_(LogNode.level == level, LogNode.idx.in_(idxs)) for level, idxs in by_level.items()
    ]
    rows = session.execute(
        select(LogNode.level, LogNode.idx, LogNode.hash).where(or_(*terms))
    ).all()
    return {(int(r[0]), int(r[1])): bytes(r[2]) for r in rows}


def _stored(row: LogCheckpoint) -> StoredCheckpoint:
    return StoredCheckpoint(int(row.size), bytes(row.root), row.note, row.created_at)

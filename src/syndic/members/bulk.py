"""Registering works in bulk: one transaction per batch, each atomic with its log entries.

An import runs in two passes. The first reads every row and checks its form and limits: a
bad row is a ``Refusal`` with its line number, and by default any refusal stops the import
before anything is written (``skip_bad`` writes the good rows and reports the rest). It keeps
the rows it checked while they fit in ``HOLD_BYTES``; the second pass writes batches of them
(of the input read again, when it is larger). Each batch is one transaction: the members it
introduces and its works and shares go in with a few multi-row statements (no per-row flush),
their events are appended to the log held in memory and written together, and the blobs are
group-committed to the vault (one sync per batch, renamed after the data is durable) before
the commit.

So a killed import leaves whole batches and, at worst, blobs no row names (``vault gc``); a
re-run skips what is in (works dedupe by content digest, members by handle) and finishes.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, func, select, text
from sqlalchemy.orm import Session

from syndic.errors import InputFileError, SharesError
from syndic.members.events import MemberJoined, WorkRegistered
from syndic.members.limits import Limits
from syndic.members.models import (
    PLAIN_TEXT,
    Member,
    MemberStatus,
    NearCopy,
    NearCopyState,
    Share,
    Work,
    WorkSignature,
    WorkStatus,
)
from syndic.members.service import MemberService, Nearness
from syndic.members.shares import check_shares
from syndic.provenance.events import Event
from syndic.storage.base import Base
from syndic.storage.bulk import in_chunks, insert_columns, insert_rows
from syndic.vault import Digest

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

    from syndic.detection.minhash import Signatures
    from syndic.members.copies import Found, PoolSigs

Advance = Callable[[int], None]
BATCH = 2000
HolderRef = int | str  # a member id, or a handle


@dataclass(frozen=True)
class Planned:
    """One row to register. ``content`` is the work's bytes, or a file read when written.
    The holders are ``holders`` (member id or handle, basis points) or, when that is None,
    ``producer``: a handle whose member is found or joined with the whole share."""

    line: int
    content: bytes | Path
    title: str
    kind: str = "text"
    collection: str = "default"
    holders: list[tuple[HolderRef, int]] | None = None
    producer: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    media_type: str = PLAIN_TEXT
    text: bytes | None = None  # extracted text, when the content is not itself the text
    note: str | None = None  # why a work that is not text has no extracted text


@dataclass(frozen=True)
class Refusal:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


Row = Planned | Refusal
FreshRow = tuple[Planned, Digest, list[tuple[int, int]]]  # a row to write, with its holders


@dataclass(frozen=True)
class Near:
    """A row's signature (``sig``: stored bytes, None without text; ``row``: the array) and
    the near copy found for it, if any."""

    sig: bytes | None
    row: Any
    found: Found | None = None
    state: str = NearCopyState.OWN

    def resolve(self, ids: list[int]) -> Nearness:
        """As registration records it, once the batch's work ids are known."""
        f = self.found
        if f is None:
            return Nearness(sig=self.sig)
        copy_of = f.copy_of if f.copy_of is not None else ids[f.batch_row or 0]
        return Nearness(self.sig, copy_of, f.similarity, self.state)


Source = Callable[[], Iterator[Row]]  # a new pass over the same rows each call


@dataclass
class ImportResult:
    lines: int = 0
    members_created: int = 0
    works_created: int = 0
    works_existing: int = 0
    near_copies: int = 0  # new works that nearly copy an earlier one (``copies``)
    dispute_candidates: int = 0  # of them, copies of another member's work
    refused: list[Refusal] = field(default_factory=list)
    without_text: list[Refusal] = field(default_factory=list)  # stored, but nothing to read

    def copies_line(self) -> str | None:
        """What an import found about near copies, in one line (None: nothing)."""
        if not self.near_copies:
            return None
        return (
            f"  {self.near_copies} near copies of earlier works, {self.dispute_candidates} of "
            "them another member's (dispute candidates: syndic work copies --candidates)"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "lines": self.lines,
            "members_created": self.members_created,
            "works_created": self.works_created,
            "works_existing": self.works_existing,
            "near_copies": self.near_copies,
            "dispute_candidates": self.dispute_candidates,
            "refused": [{"line": r.line, "reason": r.reason} for r in self.refused],
            "without_text": [{"line": r.line, "reason": r.reason} for r in self.without_text],
        }


@dataclass(frozen=True)
class ImportOptions:
    actor: str = "steward"
    skip_bad: bool = False
    batch: int = BATCH
    account: str = "import:{handle}"  # payout account of a member an import joins
    start: Advance | None = None
    advance: Advance | None = None


def refusal_summary(refused: list[Refusal], *, shown: int = 5) -> str:
    more = f" (and {len(refused) - shown} more)" if len(refused) > shown else ""
    return "; ".join(str(r) for r in refused[:shown]) + more


HOLD_BYTES = 64 << 20
"""Pass one keeps the rows it checked while their content stays under this many bytes, and
pass two writes from them (parsing the input again costs a tenth of an import); a larger
input is read again, so memory stays bounded whatever its size."""


_ROW_BYTES = 512  # a rough size of a row's title, fields and metadata, beside its content


@dataclass
class Checked:
    """What pass one found: how many rows can be written, every refusal with its line, and
    the good rows themselves when they fit in ``HOLD_BYTES`` (else None)."""

    good: int = 0
    refused: list[Refusal] = field(default_factory=list)
    held: list[Planned] | None = field(default_factory=list)


def validate(source: Source, limits: Limits, *, hold_bytes: int) -> Checked:
    """First pass: how many rows can be written, every refusal with its line, and the good
    rows while they fit in ``hold_bytes``."""
    out = Checked()
    size = 0
    for row in source():
        reason = row.reason if isinstance(row, Refusal) else limits.check_planned(row)
        if reason is not None:
            out.refused.append(Refusal(row.line, reason))
            continue
        out.good += 1
        if out.held is not None:
            assert isinstance(row, Planned)
            # a file's bytes are read in pass two: only the row itself is held
            size += len(row.content) if isinstance(row.content, bytes) else _ROW_BYTES
            if size > hold_bytes:
                out.held = None  # too large to keep: pass two reads the input again
            else:
                out.held.append(row)
    return out


class BulkWriter:
    """Writes batches of planned works for one import; remembers the members it has seen."""

    def __init__(self, members: MemberService, limits: Limits, options: ImportOptions) -> None:
        self.db = members.db
        self.vault = members.vault
        self.events = members.events
        self.limits = limits
        self.options = options
        self.handles: dict[str, tuple[int, bool]] = {}  # handle -> (member id, active)
        self.ids: dict[int, bool] = {}  # member id -> active
        self.pool: PoolSigs | None = None  # the pool's signatures, read at the first batch
        self._storing: ThreadPoolExecutor | None = None  # writes a batch's blobs (``_insert``)
        self._stored: Future[int] | None = None  # the batch's blobs, being written

    def write(
        self, batch: list[Planned], result: ImportResult, signed: Future[Signatures] | None = None
    ) -> None:
        """One transaction for the batch, its events and its blobs. ``signed``: the batch's
        signatures, one row per planned work, when they were computed ahead (``_signed_ahead``).
        The blobs are written on a second thread while the rows and log entries go in (the
        writes and their sync wait outside the interpreter lock), and are durable before the
        commit that names them."""
        with self.db.write() as session:
            try:
                with self.events.log.batched(session):
                    self._write(session, batch, result, signed)
            except BaseException:
                self._wait_stored()  # no write outlives its batch; the first error is raised
                raise
            error = self._wait_stored()
            if error is not None:
                raise error

    def _wait_stored(self) -> BaseException | None:
        stored, self._stored = self._stored, None
        return None if stored is None else stored.exception()

    def close(self) -> None:
        if self._storing is not None:
            self._storing.shutdown()
            self._storing = None

    def _store(self, blobs: list[tuple[Digest, bytes]]) -> None:
        from concurrent.futures import ThreadPoolExecutor

        if self._storing is None:
            self._storing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="syndic-vault")
        self._stored = self._storing.submit(self.vault.put_many, blobs)

    def _write(
        self,
        session: Session,
        batch: list[Planned],
        result: ImportResult,
        signed: Future[Signatures] | None,
    ) -> None:
        digests = [Digest.of_bytes(_bytes(p.content)) for p in batch]
        present = _existing(session, {str(d) for d in digests})
        fresh: list[tuple[Planned, Digest]] = []
        for p, d in zip(batch, digests, strict=True):
            if str(d) in present:
                result.works_existing += 1
            else:
                present.add(str(d))
                fresh.append((p, d))
        self._load_members(session, [p for p, _ in fresh])
        joined = self._join_producers(session, [p for p, _ in fresh])
        result.members_created += len(joined)
        rows: list[tuple[Planned, Digest, list[tuple[int, int]]]] = []
        for p, d in fresh:
            holders = self._holders(p)
            if isinstance(holders, str):
                result.refused.append(Refusal(p.line, holders))
            else:
                rows.append((p, d, holders))
        sigs = None
        if signed is not None and rows:
            at = {id(p): i for i, p in enumerate(batch)}
            sigs = signed.result()[[at[id(p)] for p, _, _ in rows]]
        near = self._near(session, rows, sigs)
        self._insert(session, rows, joined, near)
        result.works_created += len(rows)
        result.near_copies += sum(n.found is not None for n in near)
        result.dispute_candidates += sum(n.state == NearCopyState.CANDIDATE for n in near)

    def _near(
        self, session: Session, rows: list[FreshRow], sigs: Signatures | None = None
    ) -> list[Near]:
        """Each row's signature and the earliest work (of the pool, or of this batch before
        it) it nearly copies, with its state: the whole batch in one pass (``copies``)."""
        from syndic.members import copies

        if not rows:
            return []
        if self.pool is None:
            self.pool = copies.PoolSigs()
        self.pool.refresh(session)  # the first batch reads the pool, later ones what is new
        texts = [copies.text_of(_bytes(p.content), p.media_type, p.text) for p, _, _ in rows]
        sigs, found = self.pool.find(session, texts, sigs=sigs)
        out = [
            Near(None if e else copies.signature_bytes(g), g)
            for e, g in zip(copies.empty_rows(sigs), sigs, strict=True)
        ]
        theirs = copies.holders_of(session, [f.copy_of for f in found if f.copy_of is not None])
        for f in found:
            original = (
                theirs[f.copy_of]
                if f.copy_of is not None
                else {m for m, _ in rows[f.batch_row or 0][2]}
            )
            state = copies.state_for({m for m, _ in rows[f.row][2]}, original)
            out[f.row] = replace(out[f.row], found=f, state=state)
        return out

    # --- members ----------------------------------------------------------------------------
    def _load_members(self, session: Session, batch: list[Planned]) -> None:
        handles = {p.producer for p in batch if p.holders is None and p.producer}
        handles |= {h for p in batch for h, _ in p.holders or () if isinstance(h, str)}
        ids = {h for p in batch for h, _ in p.holders or () if isinstance(h, int)}
        unknown_handles = sorted(handles - self.handles.keys())
        for chunk in in_chunks(unknown_handles):
            for mid, handle, status in session.execute(
                select(Member.id, Member.handle, Member.status).where(Member.handle.in_(chunk))
            ):
                self.handles[handle] = (mid, status == MemberStatus.ACTIVE)
        unknown_ids = sorted(ids - self.ids.keys())
        for id_chunk in in_chunks(unknown_ids):
            for mid, status in session.execute(
                select(Member.id, Member.status).where(Member.id.in_(id_chunk))
            ):
                self.ids[mid] = status == MemberStatus.ACTIVE

    def _join_producers(self, session: Session, batch: list[Planned]) -> dict[int, MemberJoined]:
        """Members for the producers not yet known, inserted together; by the line that named
        each first (its event goes just before that line's work)."""
        new: dict[str, int] = {}
        for p in batch:
            if p.holders is None and p.producer and p.producer not in self.handles:
                new.setdefault(p.producer, p.line)
        if not new:
            return {}
        now = self.events.clock.now()
        no_usages: list[str] = []  # one object for every row: stored (converted) once
        values: list[dict[str, Any]] = [
            {
                "handle": h,
                "name": h,
                "status": MemberStatus.ACTIVE.value,
                "joined_at": now,
                "left_at": None,
                "prohibited_usages": no_usages,
                "floor_price_minor": 0,
                "allow_vlop": True,
                "payout_account": self.options.account.format(handle=h)[:200],
            }
            for h in new
        ]
        ids = allocate_ids(session, _table(Member), len(values))
        for v, mid in zip(values, ids, strict=True):
            v["id"] = mid
        insert_rows(session, _table(Member), values)
        out: dict[int, MemberJoined] = {}
        for v, mid in zip(values, ids, strict=True):
            handle = str(v["handle"])
            self.handles[handle] = (mid, True)
            mandate = {
                "prohibited_usages": [],
                "floor_price_minor": 0,
                "allow_vlop": True,
                "payout_account": v["payout_account"],
            }
            out[new[handle]] = MemberJoined(member=mid, handle=handle, mandate=mandate)
        return out

    def _holders(self, p: Planned) -> list[tuple[int, int]] | str:
        """The row's holders as (member id, basis points), or why they cannot hold it."""
        if p.holders is None:
            assert p.producer
            mid, active = self.handles[p.producer]
            return [(mid, 10_000)] if active else f"member {p.producer!r} has left"
        out: list[tuple[int, int]] = []
        for ref, bp in p.holders:
            if isinstance(ref, str):
                found = self.handles.get(ref)
                if found is None:
                    return f"no member with handle {ref!r}"
                mid, active = found
            else:
                if ref not in self.ids:
                    return f"no member with id {ref}"
                mid, active = ref, self.ids[ref]
            if not active:
                return f"member {ref!r} has left and cannot hold new works"
            out.append((mid, bp))
        try:
            return check_shares(out)
        except SharesError as exc:
            return exc.message

    # --- works ------------------------------------------------------------------------------
    def _insert(
        self,
        session: Session,
        rows: list[FreshRow],
        joined: dict[int, MemberJoined],
        near: list[Near],
    ) -> None:
        """Works, shares, blobs and events. The log indices are known before the rows go in
        (the head is held), so each work row is inserted with its index in one statement."""
        if not rows and not joined:
            return
        log = self.events.log
        index = log.next_index(session)
        planned_events: list[int] = []  # log index of each work, in order
        for p, _, _ in rows:
            index += p.line in joined
            planned_events.append(index)
            index += 1
        now = self.events.clock.now()
        texts = [_text_blob(p) for p, _, _ in rows]
        blobs = [(d, _bytes(p.content)) for p, d, _ in rows]
        self._store(blobs + [t for t in texts if t is not None])
        ids = allocate_ids(session, _table(Work), len(rows))
        if rows:  # column by column: no dict per row
            planned = [p for p, _, _ in rows]
            n = len(rows)
            insert_columns(
                session,
                _table(Work),
                {
                    "id": ids,
                    "digest": [str(d) for _, d, _ in rows],
                    "title": [p.title for p in planned],
                    "kind": [p.kind for p in planned],
                    "collection": [p.collection for p in planned],
                    "meta": [p.meta for p in planned],
                    "size_bytes": [len(_bytes(p.content)) for p in planned],
                    "registered_by": [holders[0][0] for _, _, holders in rows],
                    "registered_at": [now] * n,
                    "status": [WorkStatus.ACTIVE.value] * n,
                    "log_index": planned_events,
                    "media_type": [p.media_type for p in planned],
                    "text_digest": [None if t is None else str(t[0]) for t in texts],
                },
            )
            shares = [
                (wid, m, bp) for wid, (_, _, hs) in zip(ids, rows, strict=True) for m, bp in hs
            ]
            insert_columns(
                session,
                _table(Share),
                {
                    "work_id": [s[0] for s in shares],
                    "member_id": [s[1] for s in shares],
                    "share_bp": [s[2] for s in shares],
                },
            )
        nearness = [n.resolve(ids) for n in near]
        self._insert_near(session, ids, near, nearness)
        self._record(
            session,
            rows,
            ids=ids,
            texts=texts,
            planned=planned_events,
            joined=joined,
            nearness=nearness,
        )

    def _insert_near(
        self,
        session: Session,
        ids: list[int],
        near: list[Near],
        nearness: list[Nearness],
    ) -> None:
        """The batch's signatures and near copies, and the pool the next batch compares with."""
        signed = [(wid, n) for wid, n in zip(ids, near, strict=True) if n.sig is not None]
        if signed:
            insert_rows(
                session, _table(WorkSignature), [{"work_id": w, "sig": n.sig} for w, n in signed]
            )
        copies = [
            {
                "work_id": wid,
                "copy_of": n.copy_of,
                "similarity": n.similarity,
                "state": n.state,
            }
            for wid, n in zip(ids, nearness, strict=True)
            if n.copy_of is not None
        ]
        if copies:
            insert_rows(session, _table(NearCopy), copies)
        if self.pool is not None and signed:
            import numpy as np

            self.pool.add(
                np.array([w for w, _ in signed], dtype=np.int64),
                np.stack([n.row for _, n in signed]),
            )

    def _record(
        self,
        session: Session,
        rows: list[FreshRow],
        *,
        ids: list[int],
        texts: list[tuple[Digest, bytes] | None],
        planned: list[int],
        joined: dict[int, MemberJoined],
        nearness: list[Nearness],
    ) -> None:
        """Each new member's event just before the first work it holds, then the work's; all
        appended together, at one time."""
        events: list[Event] = []
        for (p, _, _), event in zip(rows, _work_events(rows, ids, texts, nearness), strict=True):
            m = joined.get(p.line)
            if m is not None:
                events.append(m)
            events.append(event)
        got = self.events.record_many(session, events, actor=self.options.actor)
        # the head is held for the transaction: the indices planned cannot move
        works = _work_indices(got, rows, joined)
        if works != planned:
            raise RuntimeError(f"log indices {works[:1]}... for works, planned {planned[:1]}...")


def _work_indices(
    got: list[int],
    rows: list[FreshRow],
    joined: dict[int, MemberJoined],
) -> list[int]:
    """The indices the works' own entries got (each new member's entry comes before)."""
    out: list[int] = []
    i = 0
    for p, _, _ in rows:
        i += p.line in joined
        out.append(got[i])
        i += 1
    return out


def _work_events(
    rows: list[FreshRow],
    ids: list[int],
    texts: list[tuple[Digest, bytes] | None],
    nearness: list[Nearness],
) -> Iterator[WorkRegistered]:
    for (p, d, holders), wid, t, near in zip(rows, ids, texts, nearness, strict=True):
        plain = p.media_type == PLAIN_TEXT and t is None
        yield WorkRegistered(
            work=wid,
            digest=str(d),
            title=p.title,
            collection=p.collection,
            holders=[{"member": m, "share_bp": bp} for m, bp in holders],
            media_type=None if plain else p.media_type,
            text_digest=None if t is None else str(t[0]),
            near_copy=near.payload(),
        )


def _bytes(content: bytes | Path) -> bytes:
    if isinstance(content, Path):
        raise TypeError("a planned work's file must be read before it is written")
    return content


def _text_blob(p: Planned) -> tuple[Digest, bytes] | None:
    if p.text is None:
        return None
    return Digest.of_bytes(p.text), p.text


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def allocate_ids(session: Session, table: Table, n: int) -> list[int]:
    """``n`` new primary keys for ``table``, so rows go in with one multi-row statement and
    no RETURNING. SQLite: after the largest, safe as this transaction is the one writer.
    PostgreSQL: drawn from the column's sequence, as a default would."""
    if n == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        seq = text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)")
        return [int(i) for i in session.scalars(seq, {"t": table.name, "n": n})]
    top = session.scalar(select(func.max(table.c.id))) or 0
    return list(range(int(top) + 1, int(top) + 1 + n))


def _existing(session: Session, digests: set[str]) -> set[str]:
    found: set[str] = set()
    for chunk in in_chunks(sorted(digests)):
        found.update(session.scalars(select(Work.digest).where(Work.digest.in_(chunk))))
    return found


def _batches(rows: Iterable[Planned], size: int) -> Iterator[list[Planned]]:
    batch: list[Planned] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _ready(
    rows: Iterable[Row],
    limits: Limits,
    prepare: Callable[[Planned], Planned | Refusal] | None,
    result: ImportResult,
) -> Iterator[Planned]:
    """Pass two: the rows pass one accepted (held, or read again), read and extracted;
    counted in ``result``."""
    refused = {r.line for r in result.refused}  # pass one's refusals (skip_bad)
    for row in rows:
        if isinstance(row, Refusal) or row.line in refused:
            continue
        result.lines += 1
        done = prepare(row) if prepare else row
        if not isinstance(done, Refusal) and isinstance(done.content, bytes):
            why = limits.work_size(len(done.content))
            done = done if why is None else Refusal(done.line, why)
        if isinstance(done, Refusal):
            result.refused.append(done)
            continue
        if done.note is not None:
            result.without_text.append(Refusal(done.line, done.note))
        yield done


def _draining(rows: Iterable[Row]) -> Iterator[Row]:
    """``rows`` in order; a held list is emptied as it is read, so a row's memory goes with
    its batch rather than at the end of the import."""
    if not isinstance(rows, list):
        yield from rows
        return
    rows.reverse()
    while rows:
        yield rows.pop()


@contextmanager
def _young_collections_only() -> Iterator[None]:
    """No automatic garbage collection while batches are written (each batch allocates tens
    of thousands of objects, and the collector's full passes over them cost a quarter of the
    import); the young generations are collected after each batch, so memory stays flat."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _signed_ahead(
    batches: Iterator[list[Planned]],
) -> Iterator[tuple[list[Planned], Future[Signatures]]]:
    """Each batch with its MinHash signatures, computed on a second thread one batch ahead:
    numpy's loops release the GIL, so batch n + 1 is signed on the other core while batch n
    is written. The same signatures, in the same order, as signing in the writer."""
    from concurrent.futures import ThreadPoolExecutor

    from syndic.members import copies

    def sign(batch: list[Planned]) -> Signatures:
        return copies.sign([copies.text_of(_bytes(p.content), p.media_type, p.text) for p in batch])

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="syndic-signatures") as ahead:
        held: tuple[list[Planned], Future[Signatures]] | None = None
        for batch in batches:
            job = ahead.submit(sign, batch)
            if held is not None:
                yield held
            held = (batch, job)
        if held is not None:
            yield held


def run_import(
    members: MemberService,
    source: Source,
    *,
    limits: Limits,
    options: ImportOptions,
    prepare: Callable[[Planned], Planned | Refusal] | None = None,
    name: str = "input",
) -> ImportResult:
    """Validate every row, then write the good ones in batches. ``prepare`` (pass two) reads a
    row's file and extracts its text; what it refuses is reported with the line."""
    checked = validate(source, limits, hold_bytes=HOLD_BYTES)
    good, refused = checked.good, checked.refused
    if refused and not options.skip_bad:
        raise InputFileError(
            f"{name}: {len(refused)} row(s) refused, nothing written: {refusal_summary(refused)}"
        )
    if good == 0 and not refused:
        raise InputFileError(f"{name} holds no works")
    result = ImportResult(refused=list(refused))
    if options.start:
        options.start(good)
    rows = checked.held if checked.held is not None else source()
    checked.held = None  # the batches hold each row only while they write it
    batches = _batches(_ready(_draining(rows), limits, prepare, result), options.batch)
    with closing(BulkWriter(members, limits, options)) as writer, _young_collections_only():
        for batch, signed in _signed_ahead(batches):
            writer.write(batch, result, signed)
            gc.collect(1)
            if options.advance:
                options.advance(len(batch))
    result.refused.sort(key=lambda r: r.line)
    return result


__all__ = [
    "ImportOptions",
    "ImportResult",
    "Planned",
    "Refusal",
    "Row",
    "Source",
    "run_import",
]

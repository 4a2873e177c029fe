"""Gate decisions as log events, written in batches.

One write transaction per request would cap the gate at the database's single-append rate,
so decisions queue in memory and a background task flushes them with one
``append_many`` and one insert per batch. Charges and redeemed challenges are different:
they are written at once, in their own transaction with their ledger posting or spent-id
row, before the response goes out.

Every text field of a decision is bounded when the decision is made (``FIELD_LIMITS`` in
gate/port.py), so no request can make an entry too large to log.

A batch whose write fails for a reason that may pass (the database is down or busy) goes back
to the front of the queue and is retried on the next flush; the loop logs the failure and keeps
running. A batch refused for what it holds (a value the log or a column will not take) is
split in halves until the decisions that cannot be written are alone; those are dropped,
counted in ``lost`` and logged, and the rest are written, so one bad decision never blocks
the ones after it. The queue is bounded (``max_pending``): past it the oldest decisions are
dropped, counted in ``dropped`` and logged, so a database that stays down costs memory up to
that bound, never more. ``metrics()`` gives the counters (the gate serves them to loopback
clients at ``/.well-known/syndic/metrics``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy import insert
from sqlalchemy.orm import Session

from syndic.clock import Clock
from syndic.errors import InvalidInput
from syndic.gate.events import GateDecided
from syndic.gate.models import GateDecision
from syndic.gate.port import DecisionRecord
from syndic.provenance.events import entry_bytes
from syndic.provenance.log import TransparencyLog
from syndic.storage.db import Database

log = logging.getLogger(__name__)


def _permanent(exc: BaseException) -> bool:
    """Whether a write failed for what the batch holds (retrying cannot help), rather than
    for the state of the database (busy, down), which may pass."""
    if isinstance(exc, InvalidInput | sa_exc.DataError | sa_exc.IntegrityError):
        return True
    if isinstance(exc, sa_exc.StatementError) and not isinstance(exc, sa_exc.DBAPIError):
        return True  # a value that could not even be bound
    return isinstance(exc, ValueError | TypeError | ArithmeticError)


class _Unwritten(Exception):
    """A transient failure, with the decisions of the batch not yet written."""

    def __init__(self, records: list[DecisionRecord], error: Exception) -> None:
        super().__init__(str(error))
        self.records = records
        self.error = error


def _entry(r: DecisionRecord) -> bytes:
    """The log entry of a decision, stamped with when it was decided (not when written)."""
    return entry_bytes(kind=GateDecided.kind, actor=r.agent, at=r.at, payload=r.event().payload())


class Journal:
    def __init__(
        self,
        db: Database,
        log: TransparencyLog,
        clock: Clock,
        *,
        flush_every_s: float = 0.2,
        max_batch: int = 1000,
        max_pending: int = 100_000,
    ) -> None:
        self.db = db
        self.log = log
        self.clock = clock
        self.flush_every_s = flush_every_s
        self.max_batch = max_batch
        self.max_pending = max_pending
        self._pending: list[DecisionRecord] = []
        self._lock = threading.Lock()
        self._task: asyncio.Task[None] | None = None
        self.written = 0
        self.dropped = 0  # the queue was full
        self.lost = 0  # could not be written at all
        self.failures = 0

    @property
    def pending(self) -> int:
        return len(self._pending)

    def add(self, record: DecisionRecord) -> None:
        with self._lock:
            self._pending.append(record)
            self._bound()

    def _bound(self) -> None:
        """Drop the oldest decisions past ``max_pending`` (the caller holds the lock)."""
        over = len(self._pending) - self.max_pending
        if over > 0:
            del self._pending[:over]
            if self.dropped == 0 or (self.dropped + over) // 10_000 > self.dropped // 10_000:
                log.error(
                    "gate decisions dropped: the queue is full (%d); %d dropped so far",
                    self.max_pending,
                    self.dropped + over,
                )
            self.dropped += over

    def write(self, s: Session, records: list[DecisionRecord]) -> None:
        """Log and store ``records`` in the caller's transaction (one append for all)."""
        entries = [(_entry(r), GateDecided.kind, r.at) for r in records]
        idx = self.log.append_many(s, entries)
        rows = []
        for r, i in zip(records, idx, strict=True):
            row: dict[str, Any] = asdict(r)  # fields already bounded (DecisionRecord)
            row["log_index"] = i
            rows.append(row)
        s.execute(insert(GateDecision), rows)

    def flush(self) -> int:
        """Write every pending decision (synchronously); returns how many.

        A batch whose write fails for a reason that may pass is put back at the front of the
        queue (within ``max_pending``) and the error is raised; nothing is lost by such a
        failure. Decisions that cannot be written at all are dropped and counted (``lost``)."""
        n = 0
        while True:
            with self._lock:
                batch, self._pending = (
                    self._pending[: self.max_batch],
                    self._pending[self.max_batch :],
                )
            if not batch:
                return n
            try:
                written = self._write_isolating(batch)
            except _Unwritten as u:
                self._put_back(u.records)
                raise u.error from None
            except BaseException:
                self._put_back(batch)
                raise
            n += written
            self.written += written

    def _put_back(self, records: list[DecisionRecord]) -> None:
        with self._lock:
            self._pending[:0] = records
            self._bound()
        self.failures += 1

    def _write_isolating(self, batch: list[DecisionRecord]) -> int:
        """Write ``batch`` in order; a part refused for what it holds is split until each
        decision that cannot be written is alone, and that one is lost. A failure that may
        pass raises ``_Unwritten`` with every decision not yet written."""
        written = 0
        todo = [batch]  # parts still to write, the next one last
        while todo:
            part = todo.pop()
            try:
                with self.db.write() as s:
                    self.write(s, part)
            except Exception as exc:
                if not _permanent(exc):
                    raise _Unwritten([*part, *(r for p in reversed(todo) for r in p)], exc) from exc
                if len(part) == 1:
                    self._lose(part[0], exc)
                else:
                    mid = len(part) // 2
                    todo += [part[mid:], part[:mid]]
                continue
            written += len(part)
        return written

    def _lose(self, r: DecisionRecord, exc: Exception) -> None:
        self.lost += 1
        log.error(
            "gate decision lost: it cannot be written (%s: %s); site %s, path %s; %d lost so far",
            type(exc).__name__,
            str(exc)[:200],
            r.site,
            r.path[:100],
            self.lost,
        )

    def metrics(self) -> dict[str, int]:
        """The journal's counters: decisions written, pending, dropped (the queue was full),
        lost (they could not be written), and failed flushes."""
        return {
            "written": self.written,
            "pending": self.pending,
            "dropped": self.dropped,
            "lost": self.lost,
            "failures": self.failures,
        }

    def record_now(
        self, record: DecisionRecord, also: Callable[[Session], None] | None = None
    ) -> None:
        """Write one decision now, with ``also`` (a ledger posting, a spent id) in the same
        transaction; raises whatever ``also`` or a unique key raises, writing nothing."""
        with self.db.write() as s:
            if also is not None:
                also(s)
            self.write(s, [record])
        self.written += 1

    # --- the background flusher --------------------------------------------------------------
    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        failing = 0
        while True:
            # back off while the database fails (up to 5 s), so retries do not hammer it
            await asyncio.sleep(min(5.0, self.flush_every_s * (1 << min(failing, 5))))
            if not self._pending:
                continue
            try:
                await asyncio.to_thread(self.flush)
                failing = 0
            except Exception:
                failing += 1
                log.exception(
                    "gate decisions not written (%d queued); retrying", len(self._pending)
                )

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            await asyncio.to_thread(self.flush)
        except Exception:
            log.exception("gate decisions lost at shutdown: %d not written", len(self._pending))

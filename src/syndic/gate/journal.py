"""Gate decisions as log events, written in batches.

One write transaction per request would cap the gate at the database's single-append rate,
so decisions queue in memory and a background task flushes them with one
``append_many`` and one insert per batch. Charges and redeemed challenges are different:
they are written at once, in their own transaction with their ledger posting or spent-id
row, before the response goes out.

A batch whose write fails goes back to the front of the queue and is retried on the next
flush; the loop logs the failure and keeps running. The queue is bounded (``max_pending``):
past it the oldest decisions are dropped, counted in ``dropped`` and logged, so a database
that stays down costs memory up to that bound, never more.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from syndic.clock import Clock
from syndic.gate.events import GateDecided
from syndic.gate.models import GateDecision
from syndic.gate.port import DecisionRecord
from syndic.provenance.events import entry_bytes
from syndic.provenance.log import TransparencyLog
from syndic.storage.db import Database

log = logging.getLogger(__name__)


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
        self.dropped = 0
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
            row: dict[str, Any] = asdict(r)
            row["path"] = row["path"][:500]
            row["agent"] = row["agent"][:200]
            row["log_index"] = i
            rows.append(row)
        s.execute(insert(GateDecision), rows)

    def flush(self) -> int:
        """Write every pending decision (synchronously); returns how many.

        A batch whose write fails is put back at the front of the queue (within
        ``max_pending``) and the error is raised; nothing is lost by the failure itself."""
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
                with self.db.write() as s:
                    self.write(s, batch)
            except BaseException:
                with self._lock:
                    self._pending[:0] = batch
                    self._bound()
                self.failures += 1
                raise
            n += len(batch)
            self.written += len(batch)

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

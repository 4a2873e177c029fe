"""Gate decisions as log events, written in batches.

One write transaction per request would cap the gate at the database's single-append rate,
so decisions queue in memory and a background task flushes them with one
``append_many`` and one insert per batch. Charges and redeemed challenges are different:
they are written at once, in their own transaction with their ledger posting or spent-id
row, before the response goes out.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from syndic.canonical import canonical_bytes
from syndic.clock import Clock, iso
from syndic.gate.models import GateDecision
from syndic.provenance.events import ENTRY_VERSION
from syndic.provenance.log import TransparencyLog
from syndic.storage.db import Database

KIND = "gate.decision"


@dataclass
class DecisionRecord:
    site: str
    outcome: str
    rule: str
    status: int
    agent: str
    path: str
    at: datetime
    licensee_id: int | None = None
    agreement_id: int | None = None
    charged_minor: int = 0
    currency: str | None = None
    charge_nonce: str | None = None

    def entry(self) -> bytes:
        payload = {
            k: v
            for k, v in asdict(self).items()
            if k not in ("at", "agent", "charge_nonce") and v is not None
        }
        return canonical_bytes(
            {
                "v": ENTRY_VERSION,
                "kind": KIND,
                "actor": self.agent,
                "at": iso(self.at),
                "payload": payload,
            }
        )


class Journal:
    def __init__(
        self,
        db: Database,
        log: TransparencyLog,
        clock: Clock,
        *,
        flush_every_s: float = 0.2,
        max_batch: int = 1000,
    ) -> None:
        self.db = db
        self.log = log
        self.clock = clock
        self.flush_every_s = flush_every_s
        self.max_batch = max_batch
        self._pending: list[DecisionRecord] = []
        self._lock = threading.Lock()
        self._task: asyncio.Task[None] | None = None
        self.written = 0

    def add(self, record: DecisionRecord) -> None:
        with self._lock:
            self._pending.append(record)

    def _write(self, s: Session, records: list[DecisionRecord]) -> None:
        idx = self.log.append_many(s, [(r.entry(), KIND, r.at) for r in records])
        rows = []
        for r, i in zip(records, idx, strict=True):
            row: dict[str, Any] = asdict(r)
            row["path"] = row["path"][:500]
            row["agent"] = row["agent"][:200]
            row["log_index"] = i
            rows.append(row)
        s.execute(insert(GateDecision), rows)

    def flush(self) -> int:
        """Write every pending decision (synchronously); returns how many."""
        n = 0
        while True:
            with self._lock:
                batch, self._pending = (
                    self._pending[: self.max_batch],
                    self._pending[self.max_batch :],
                )
            if not batch:
                return n
            with self.db.write() as s:
                self._write(s, batch)
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
            self._write(s, [record])
        self.written += 1

    # --- the background flusher --------------------------------------------------------------
    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.flush_every_s)
            if self._pending:
                await asyncio.to_thread(self.flush)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await asyncio.to_thread(self.flush)

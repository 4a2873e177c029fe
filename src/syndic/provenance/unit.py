"""One unit of work: a transaction, the events it records, and the clock it reads.

Services take a ``Transactions`` and open ``write()`` for a use case; a use case that is a
step of a larger one accepts the caller's ``Tx`` instead, so several steps commit together
(no ``*_in`` twins that exist only to pass a session through)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from syndic.clock import Clock
from syndic.provenance.events import Event, EventRecorder
from syndic.storage.db import Database


@dataclass(frozen=True)
class Tx:
    """An open write transaction: its session, and how it records events."""

    session: Session
    events: EventRecorder

    @property
    def clock(self) -> Clock:
        return self.events.clock

    def now(self) -> datetime:
        return self.events.clock.now()

    def record(self, event: Event, *, actor: str) -> int:
        """Log ``event`` in this transaction; returns its log index."""
        return self.events.record(self.session, event, actor=actor)


class Transactions:
    """Opens units of work on one database with one event recorder."""

    def __init__(self, db: Database, events: EventRecorder) -> None:
        self.db = db
        self.events = events

    @property
    def clock(self) -> Clock:
        return self.events.clock

    @contextmanager
    def write(self) -> Iterator[Tx]:
        """One transaction: committed when the block exits, rolled back if it raises."""
        with self.db.write() as session:
            yield Tx(session, self.events)

    @contextmanager
    def step(self, tx: Tx | None) -> Iterator[Tx]:
        """The caller's transaction when this is a step of its use case, else a new one."""
        if tx is not None:
            yield tx
            return
        with self.write() as own:
            yield own

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.db.read() as session:
            yield session

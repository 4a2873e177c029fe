"""``syndic audit``: replay the log and compare the tables with what it says they must hold.

``syndic log verify`` proves the log was not rewritten; this proves the *tables* say what the
log says. Each domain owns the checks of its tables, in its ``audit.py``: a ``StateCheck``
subclass names the event kinds it replays and yields every difference it finds between the
rows and the replay, first row first. ``StateAudit`` reads the log once (only the kinds the
checks ask for), hands each check its events in log order, and keeps each check's first
difference. The checks in force are the ones ``Syndic`` composes (``app.py``: each domain's
``CHECKS``); docs/provenance.md lists them and says how to add one.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from syndic.provenance.models import LogEntry
from syndic.storage.db import Database

CHUNK = 4096


@dataclass(frozen=True)
class Logged:
    """One log entry as a check sees it."""

    idx: int
    kind: str
    payload: dict[str, Any]


class StateCheck(ABC):
    """The check of one or more tables against the log. Subclasses set ``name`` (unique,
    ``<domain>.<what>``), ``kinds`` (the event kinds replayed) and ``tables`` (what is
    compared), and implement ``differences``."""

    name: ClassVar[str]
    kinds: ClassVar[frozenset[str]]
    tables: ClassVar[tuple[str, ...]]

    @abstractmethod
    def differences(self, session: Session, events: Sequence[Logged]) -> Iterator[str]:
        """Every row that differs from what ``events`` (in log order) say, first row first,
        each as one sentence naming the table, the row and the field."""


@dataclass(frozen=True)
class CheckResult:
    name: str
    tables: tuple[str, ...]
    events: int
    difference: str | None

    @property
    def ok(self) -> bool:
        return self.difference is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "tables": list(self.tables),
            "events": self.events,
            "ok": self.ok,
            "difference": self.difference,
        }


@dataclass
class StateReport:
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def problems(self) -> list[str]:
        return [f"{c.name}: {c.difference}" for c in self.checks if c.difference is not None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checks": [c.to_dict() for c in self.checks],
            "problems": self.problems,
        }


class StateAudit:
    """Runs ``checks`` over one database (one read transaction, so one consistent view)."""

    def __init__(self, db: Database, checks: Sequence[StateCheck]) -> None:
        names = [c.name for c in checks]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise TypeError(f"state checks named twice: {twice}")
        self.db = db
        self.checks = list(checks)

    def run(self) -> StateReport:
        kinds = frozenset().union(*(c.kinds for c in self.checks))
        report = StateReport()
        with self.db.read() as session:
            events = _events(session, kinds)
            for check in self.checks:
                mine = [e for e in events if e.kind in check.kinds]
                first = next(iter(check.differences(session, mine)), None)
                report.checks.append(CheckResult(check.name, check.tables, len(mine), first))
        return report


def _events(session: Session, kinds: frozenset[str]) -> list[Logged]:
    out: list[Logged] = []
    last = -1
    while True:
        rows = session.execute(
            select(LogEntry.idx, LogEntry.kind, LogEntry.entry)
            .where(LogEntry.kind.in_(sorted(kinds)), LogEntry.idx > last)
            .order_by(LogEntry.idx)
            .limit(CHUNK)
        ).all()
        if not rows:
            return out
        for idx, kind, entry in rows:
            out.append(Logged(int(idx), kind, json.loads(bytes(entry))["payload"]))
        last = int(rows[-1][0])


def differ(table: str, row: object, what: str, stored: object, logged: object) -> str:
    """The one sentence every check uses for a field that differs."""
    return f"{table} row {row}: {what} is {stored!r} in the table but {logged!r} in the log"

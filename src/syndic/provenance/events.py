"""Typed events and ``EventRecorder``: the one way a state change is written down.

An event is a small frozen dataclass whose class names its ``kind`` (``"work.registered"``)
and whose fields are the payload. Every kind is registered once, when its class is defined,
so ``EVENT_KINDS`` lists them all and a test checks each is documented.

Services record events inside their write transaction (``Tx.record``), so the change and its
log entry commit together or not at all. The entry is canonical JSON (RFC 8785):
``{"v", "kind", "actor", "at", "payload"}``; those exact bytes are the Merkle leaf.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy.orm import Session

from syndic.canonical import canonical_bytes
from syndic.clock import Clock, iso
from syndic.provenance.log import TransparencyLog

ENTRY_VERSION = 1

EVENT_KINDS: dict[str, type[Event]] = {}
"""Every event kind, by name, filled in as event classes are defined."""


@dataclasses.dataclass(frozen=True)
class Event:
    """Base of the typed events. Subclasses set ``kind`` and declare the payload fields.

    ``payload()`` is the fields as a dict; a subclass whose payload has optional keys (left
    out when unset, so older entries keep their bytes) lists them in ``optional``."""

    kind: ClassVar[str] = ""
    optional: ClassVar[frozenset[str]] = frozenset()
    _names: ClassVar[tuple[str, ...]] = ()  # the payload fields, in order (set once per class)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.kind:
            return  # an abstract intermediate class
        other = EVENT_KINDS.get(cls.kind)
        if other is not None and _name(other) != _name(cls):
            raise TypeError(
                f"event kind {cls.kind!r} is defined twice: {_name(other)}, {_name(cls)}"
            )
        EVENT_KINDS[cls.kind] = cls

    def payload(self) -> dict[str, Any]:
        names = type(self).__dict__.get("_names")
        if names is None:  # the class's fields, read once (``dataclasses.fields`` is slow)
            names = tuple(f.name for f in dataclasses.fields(self))
            type(self)._names = names
        out: dict[str, Any] = {}
        optional = self.optional
        for name in names:
            value = getattr(self, name)
            if value is None and name in optional:
                continue
            out[name] = value
        return out


def _name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def entry_bytes(*, kind: str, actor: str, at: datetime, payload: dict[str, Any]) -> bytes:
    """The canonical bytes of one log entry (the Merkle leaf)."""
    return canonical_bytes(
        {"v": ENTRY_VERSION, "kind": kind, "actor": actor, "at": iso(at), "payload": payload}
    )


class EventRecorder:
    def __init__(self, log: TransparencyLog, clock: Clock) -> None:
        self.log = log
        self.clock = clock

    def record(self, session: Session, event: Event, *, actor: str) -> int:
        """Append ``event`` to the log in ``session``'s transaction; returns its index."""
        if not event.kind:
            raise TypeError(f"{type(event).__name__} has no kind")
        at = self.clock.now()
        entry = entry_bytes(kind=event.kind, actor=actor, at=at, payload=event.payload())
        return self.log.append(session, entry, kind=event.kind, at=at)

    def record_many(self, session: Session, events: Sequence[Event], *, actor: str) -> list[int]:
        """Append ``events`` in order, in ``session``'s transaction, all at one time (the
        clock read once: they commit together); returns their indices. For bulk writers."""
        for event in events:
            if not event.kind:
                raise TypeError(f"{type(event).__name__} has no kind")
        at = self.clock.now()
        stamp = iso(at)
        rows = [
            (
                canonical_bytes(
                    {
                        "v": ENTRY_VERSION,
                        "kind": e.kind,
                        "actor": actor,
                        "at": stamp,
                        "payload": e.payload(),
                    }
                ),
                e.kind,
                at,
            )
            for e in events
        ]
        return self.log.append_many(session, rows)

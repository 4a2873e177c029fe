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
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None and f.name in self.optional:
                continue
            out[f.name] = value
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

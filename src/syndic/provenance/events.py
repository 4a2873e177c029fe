"""``EventRecorder``: the one way a state change is written down.

Services call ``record`` inside their write transaction, so the change and its log entry
commit together or not at all. The entry is canonical JSON (RFC 8785); those exact bytes
are the Merkle leaf.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from syndic.canonical import canonical_bytes
from syndic.clock import Clock, iso
from syndic.provenance.log import TransparencyLog

ENTRY_VERSION = 1


class EventRecorder:
    def __init__(self, log: TransparencyLog, clock: Clock) -> None:
        self.log = log
        self.clock = clock

    def record(self, session: Session, *, kind: str, actor: str, payload: dict[str, Any]) -> int:
        at = self.clock.now()
        entry = canonical_bytes(
            {"v": ENTRY_VERSION, "kind": kind, "actor": actor, "at": iso(at), "payload": payload}
        )
        return self.log.append(session, entry, kind=kind, at=at)

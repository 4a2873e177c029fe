"""The gate's typed log events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from syndic.provenance.events import Event


@dataclass(frozen=True)
class GateDecided(Event):
    """What the gate decided for one request (its actor is the request's agent)."""

    kind: ClassVar[str] = "gate.decision"
    optional: ClassVar[frozenset[str]] = frozenset(
        {"licensee_id", "agreement_id", "member_id", "currency"}
    )

    site: str
    outcome: str
    rule: str
    status: int
    path: str
    licensee_id: int | None = None
    agreement_id: int | None = None
    member_id: int | None = None
    charged_minor: int = 0
    currency: str | None = None

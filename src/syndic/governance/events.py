"""What governance writes to the log: the charter, votes and delegations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from syndic.provenance.events import Event


@dataclass(frozen=True)
class CharterFounded(Event):
    kind: ClassVar[str] = "charter.founded"
    version: int
    charter: dict[str, Any]


@dataclass(frozen=True)
class CharterAmended(Event):
    kind: ClassVar[str] = "charter.amended"
    version: int
    proposal: int
    changes: dict[str, Any]
    charter: dict[str, Any]


@dataclass(frozen=True)
class VoteOpened(Event):
    """``proposal_kind`` is logged as ``kind`` (the name ``kind`` is the event's own)."""

    kind: ClassVar[str] = "vote.opened"
    optional: ClassVar[frozenset[str]] = frozenset({"deal"})
    proposal: int
    proposal_kind: str
    topic: str
    charter_version: int
    rule: dict[str, Any]
    closes_at: str
    question: dict[str, Any]
    deal: int | None = None

    def payload(self) -> dict[str, Any]:
        out = super().payload()
        out["kind"] = out.pop("proposal_kind")
        return out


@dataclass(frozen=True)
class VoteCast(Event):
    kind: ClassVar[str] = "vote.cast"
    optional: ClassVar[frozenset[str]] = frozenset({"deal", "votes"})
    proposal: int
    member: int
    ballot_sha256: str
    deal: int | None = None
    votes: dict[str, int] | None = None  # left out of a secret vote's entry


@dataclass(frozen=True)
class VoteClosed(Event):
    kind: ClassVar[str] = "vote.closed"
    optional: ClassVar[frozenset[str]] = frozenset({"deal"})
    proposal: int
    outcome: dict[str, Any]
    ballot_file_sha256: str
    early: bool
    deal: int | None = None


@dataclass(frozen=True)
class DelegationSet(Event):
    kind: ClassVar[str] = "delegation.set"
    delegation: int
    member: int
    delegate: int
    topic: str | None
    replaces: int | None


@dataclass(frozen=True)
class DelegationRevoked(Event):
    kind: ClassVar[str] = "delegation.revoked"
    delegation: int
    member: int
    topic: str | None

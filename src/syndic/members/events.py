"""The events the members part records: members joining and leaving, works and their disputes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from syndic.provenance.events import Event


@dataclass(frozen=True)
class MemberJoined(Event):
    kind: ClassVar[str] = "member.joined"
    member: int
    handle: str
    mandate: dict[str, Any]


@dataclass(frozen=True)
class MandateChanged(Event):
    """A member changed their mandate; it applies to deals signed from now on (agreements
    already signed keep the scope they froze)."""

    kind: ClassVar[str] = "member.mandate_changed"
    member: int
    before: dict[str, Any]
    after: dict[str, Any]


@dataclass(frozen=True)
class MemberLeft(Event):
    kind: ClassVar[str] = "member.left"
    member: int


@dataclass(frozen=True)
class MemberRejoined(Event):
    """A member who had left came back: their works count again from now on (deals already
    signed without them stay as they were)."""

    kind: ClassVar[str] = "member.rejoined"
    member: int


@dataclass(frozen=True)
class WorkRegistered(Event):
    """A work entered the pool; its receipt proves this entry (``holders``: member, share_bp)."""

    kind: ClassVar[str] = "work.registered"
    work: int
    digest: str
    title: str
    collection: str
    holders: list[dict[str, int]]


@dataclass(frozen=True)
class WorkWithdrawn(Event):
    kind: ClassVar[str] = "work.withdrawn"
    work: int
    digest: str
    reason: str


@dataclass(frozen=True)
class WorkDisputed(Event):
    kind: ClassVar[str] = "work.disputed"
    work: int
    digest: str
    reason: str


@dataclass(frozen=True)
class DisputeResolved(Event):
    """A dispute ended with these holders (member, share_bp), settled or unchanged."""

    kind: ClassVar[str] = "work.dispute_resolved"
    work: int
    holders: list[dict[str, int]]

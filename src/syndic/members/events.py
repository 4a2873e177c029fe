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
    """A work entered the pool; its receipt proves this entry (``holders``: member, share_bp).
    A work that is not plain UTF-8 text names its ``media_type``, and the digest of the text
    extracted from it (``text_digest``) when there is one; both are left out otherwise, so the
    entries of text works keep their bytes. A work found to be a near copy of an earlier work
    of the pool names it in ``near_copy``: ``{"copy_of", "similarity_bp",
    "dispute_candidate"}`` (a candidate when the holders differ; ``members.copies``)."""

    kind: ClassVar[str] = "work.registered"
    optional: ClassVar[frozenset[str]] = frozenset({"media_type", "text_digest", "near_copy"})
    work: int
    digest: str
    title: str
    collection: str
    holders: list[dict[str, int]]
    media_type: str | None = None
    text_digest: str | None = None
    near_copy: dict[str, Any] | None = None


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


@dataclass(frozen=True)
class VaultCollected(Event):
    """``vault gc`` removed blobs no work names (``orphans``; ``removed_digest``: SHA-256 over
    their sorted digests, one per line) and ``stray`` temporary or unindexed pack files."""

    kind: ClassVar[str] = "vault.collected"
    orphans: int
    stray: int
    bytes_freed: int
    removed_digest: str

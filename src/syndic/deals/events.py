"""What the deals part writes to the log: licensees, offers, agreements, tokens, delivery."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from syndic.provenance.events import Event


@dataclass(frozen=True)
class LicenseeRegistered(Event):
    kind: ClassVar[str] = "licensee.registered"
    licensee: int
    name: str
    monthly_active_users: int
    public_key: str | None


@dataclass(frozen=True)
class LicenseeKeyRegistered(Event):
    kind: ClassVar[str] = "licensee.key_registered"
    licensee: int
    public_key: str


@dataclass(frozen=True)
class LicenseeUsersReported(Event):
    kind: ClassVar[str] = "licensee.users_reported"
    licensee: int
    monthly_active_users: int
    very_large_platform: bool


@dataclass(frozen=True)
class DealDrafted(Event):
    kind: ClassVar[str] = "deal.drafted"
    deal: int
    licensee: int
    offer: dict[str, Any]


@dataclass(frozen=True)
class OfferMade(Event):
    kind: ClassVar[str] = "offer.made"
    deal: int
    licensee: int
    round: int
    party: str
    offer: dict[str, Any]
    diff: list[dict[str, Any]]
    expires_at: str


@dataclass(frozen=True)
class OfferCountered(OfferMade):
    kind: ClassVar[str] = "offer.countered"


@dataclass(frozen=True)
class OfferAccepted(Event):
    kind: ClassVar[str] = "offer.accepted"
    deal: int
    round: int
    licensee: int


@dataclass(frozen=True)
class OfferLapsed(Event):
    kind: ClassVar[str] = "offer.lapsed"
    deal: int


@dataclass(frozen=True)
class AgreementSigned(Event):
    """Either party's signature; the coalition's (the first) also names the scope."""

    kind: ClassVar[str] = "agreement.signed"
    optional: ClassVar[frozenset[str]] = frozenset({"scope_root", "works"})
    agreement: int
    deal: int
    party: str
    document_sha256: str
    signature: str
    scope_root: str | None = None
    works: int | None = None


@dataclass(frozen=True)
class AgreementExpired(Event):
    kind: ClassVar[str] = "agreement.expired"
    agreement: int


@dataclass(frozen=True)
class AgreementLapsed(Event):
    kind: ClassVar[str] = "agreement.lapsed"
    agreement: int
    deal: int


@dataclass(frozen=True)
class AgreementTerminated(Event):
    kind: ClassVar[str] = "agreement.terminated"
    agreement: int
    reason: str


@dataclass(frozen=True)
class TokenIssued(Event):
    kind: ClassVar[str] = "token.issued"
    token: int
    agreement: int
    expires_at: str


@dataclass(frozen=True)
class TokenRevoked(Event):
    kind: ClassVar[str] = "token.revoked"
    token: int


@dataclass(frozen=True)
class DataDelivered(Event):
    kind: ClassVar[str] = "data.delivered"
    agreement: int
    token: int
    works: int
    bytes: int

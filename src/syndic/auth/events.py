"""The events the auth part records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from syndic.provenance.events import Event


@dataclass(frozen=True)
class ApiKeyCreated(Event):
    """An API key was made (its hash stored; the key itself is never logged)."""

    kind: ClassVar[str] = "apikey.created"
    key: int
    role: str
    subject: int | None


@dataclass(frozen=True)
class ApiKeyRevoked(Event):
    """An API key stopped working (from this moment: every request checks it)."""

    kind: ClassVar[str] = "apikey.revoked"
    key: int
    reason: str


@dataclass(frozen=True)
class AccessDenied(Event):
    """A principal reached for something it does not own (a resource, e.g. ``agreement:3``)."""

    kind: ClassVar[str] = "access.denied"
    resource: str
    reason: str


@dataclass(frozen=True)
class SignInLinkIssued(Event):
    """A one-time sign-in link was made (its token is never logged)."""

    kind: ClassVar[str] = "signin.link_issued"
    link: int
    role: str
    subject: int | None
    expires_at: str


@dataclass(frozen=True)
class SessionStarted(Event):
    """A sign-in link was used: a browser session began."""

    kind: ClassVar[str] = "signin.session_started"
    session: int
    link: int
    role: str
    subject: int | None


@dataclass(frozen=True)
class SessionEnded(Event):
    """A browser session was ended by signing out."""

    kind: ClassVar[str] = "signin.session_ended"
    session: int

"""Roles, the principal a request acts as, and the API-key table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from syndic.storage.base import Base


class Role(StrEnum):
    STEWARD = "steward"
    MEMBER = "member"
    LICENSEE = "licensee"


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int | None]
    label: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class SignInLink(Base):
    """A one-time sign-in link: only the SHA-256 of its token is stored."""

    __tablename__ = "signin_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int | None]
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class WebSession(Base):
    """A signed-in browser: only the SHA-256 of its token is stored; ``ended_at`` set on
    sign-out, after which the cookie is worth nothing."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int | None]
    link_id: Mapped[int] = mapped_column(ForeignKey("signin_links.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: from an API key (``key_id``) or a browser session
    (``session_id``)."""

    role: Role
    subject_id: int | None
    key_id: int | None
    session_id: int | None = None

    @property
    def actor(self) -> str:
        return (
            self.role.value if self.subject_id is None else f"{self.role.value}:{self.subject_id}"
        )

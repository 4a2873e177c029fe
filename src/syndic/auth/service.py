"""API keys: random, shown once, stored only as SHA-256 hashes (high-entropy secrets need no
slow hash), each bound to one role and, for members and licensees, one subject."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from syndic.errors import AuthError, InvalidInput, NotFound
from syndic.provenance.events import EventRecorder
from syndic.storage.base import Base
from syndic.storage.db import Database

KEY_PREFIX = "syk_"


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


@dataclass(frozen=True)
class Principal:
    role: Role
    subject_id: int | None
    key_id: int

    @property
    def actor(self) -> str:
        return (
            self.role.value if self.subject_id is None else f"{self.role.value}:{self.subject_id}"
        )


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class KeyService:
    def __init__(self, db: Database, events: EventRecorder) -> None:
        self.db = db
        self.events = events

    def create(
        self, *, role: Role, subject_id: int | None, label: str = "", actor: str = "steward"
    ) -> str:
        """Make a key; returns its plaintext, which is never stored or shown again."""
        if (role is Role.STEWARD) != (subject_id is None):
            raise InvalidInput("member and licensee keys need a subject id; steward keys take none")
        from syndic.deals.models import Licensee
        from syndic.members.models import Member

        key = KEY_PREFIX + secrets.token_urlsafe(32)
        with self.db.write() as session:
            if role is Role.MEMBER and session.get(Member, subject_id) is None:
                raise NotFound(f"no member with id {subject_id}")
            if role is Role.LICENSEE and session.get(Licensee, subject_id) is None:
                raise NotFound(f"no licensee with id {subject_id}")
            row = ApiKey(
                key_hash=_hash(key),
                role=role.value,
                subject_id=subject_id,
                label=label,
                created_at=self.events.clock.now(),
                revoked_at=None,
            )
            session.add(row)
            session.flush()
            self.events.record(
                session,
                kind="apikey.created",
                actor=actor,
                payload={"key": row.id, "role": role.value, "subject": subject_id},
            )
        return key

    def authenticate(self, key: str) -> Principal:
        with self.db.read() as session:
            row = session.scalar(select(ApiKey).where(ApiKey.key_hash == _hash(key)))
        if row is None or row.revoked_at is not None:
            raise AuthError("API key is not valid")
        return Principal(Role(row.role), row.subject_id, row.id)

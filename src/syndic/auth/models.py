"""Roles, the principal a request acts as, and the API-key table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import String
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

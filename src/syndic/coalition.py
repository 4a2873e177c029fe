"""The coalition itself: its name and public key, one row, written at ``syndic init``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from syndic.provenance.events import Event
from syndic.storage.base import Base


class Coalition(Base):
    __tablename__ = "coalition"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    public_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


@dataclass(frozen=True)
class CoalitionCreated(Event):
    """The founding entry of the log: the coalition's name and public key."""

    kind: ClassVar[str] = "coalition.created"
    name: str
    public_key: str

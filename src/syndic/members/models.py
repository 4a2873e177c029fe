"""Members with their mandate; works with their rights holders' shares (basis points)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from syndic.storage.base import Base, BigInt

FULL_SHARE_BP = 10_000  # 100% in basis points
PLAIN_TEXT = "text/plain; charset=utf-8"


class MemberStatus(StrEnum):
    ACTIVE = "active"
    LEFT = "left"


class WorkStatus(StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"
    DISPUTED = "disputed"


class Member(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    handle: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=MemberStatus.ACTIVE)
    joined_at: Mapped[datetime]
    left_at: Mapped[datetime | None]
    # The mandate: what the coalition may and may never agree to for this member's works.
    prohibited_usages: Mapped[list[str]]
    floor_price_minor: Mapped[int] = mapped_column(BigInt, default=0)
    allow_vlop: Mapped[bool] = mapped_column(default=True)
    payout_account: Mapped[str] = mapped_column(String(200))
    # where sign-in links are mailed when the member asks for one (optional)
    email: Mapped[str | None] = mapped_column(String(254), index=True, default=None)

    def mandate(self) -> dict[str, Any]:
        return {
            "prohibited_usages": sorted(self.prohibited_usages),
            "floor_price_minor": self.floor_price_minor,
            "allow_vlop": self.allow_vlop,
            "payout_account": self.payout_account,
        }


class Work(Base):
    __tablename__ = "works"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(71), unique=True)
    title: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32))
    collection: Mapped[str] = mapped_column(String(200), index=True)
    meta: Mapped[dict[str, Any]]
    size_bytes: Mapped[int] = mapped_column(BigInt)
    registered_by: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    registered_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default=WorkStatus.ACTIVE)
    log_index: Mapped[int] = mapped_column(BigInt)
    media_type: Mapped[str] = mapped_column(String(100), default=PLAIN_TEXT)
    # the blob of the text extracted from the work, when the work is not itself that text
    text_digest: Mapped[str | None] = mapped_column(String(71), default=None)

    shares: Mapped[list[Share]] = relationship(back_populates="work", lazy="selectin")


class Share(Base):
    __tablename__ = "work_shares"
    __table_args__ = (UniqueConstraint("work_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    share_bp: Mapped[int] = mapped_column(Integer)

    work: Mapped[Work] = relationship(back_populates="shares")

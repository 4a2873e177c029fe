"""Members with their mandate; works with their rights holders' shares (basis points)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
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
    # indexed: the withdrawn are counted before each near-copy check (copies.PoolSigs)
    status: Mapped[str] = mapped_column(String(16), default=WorkStatus.ACTIVE, index=True)
    log_index: Mapped[int] = mapped_column(BigInt)
    media_type: Mapped[str] = mapped_column(String(100), default=PLAIN_TEXT)
    # the blob of the text extracted from the work, when the work is not itself that text
    text_digest: Mapped[str | None] = mapped_column(String(71), default=None)

    shares: Mapped[list[Share]] = relationship(back_populates="work", lazy="selectin")
    near_copy: Mapped[NearCopy | None] = relationship(
        foreign_keys="NearCopy.work_id", lazy="selectin", viewonly=True
    )


class Share(Base):
    __tablename__ = "work_shares"
    __table_args__ = (UniqueConstraint("work_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    share_bp: Mapped[int] = mapped_column(Integer)

    work: Mapped[Work] = relationship(back_populates="shares")


class WorkSignature(Base):
    """The MinHash signature of a work's text (``syndic.detection.minhash``, ``num_perm``
    uint32 slots, little-endian), written with the work: registration compares a new work
    with the pool's signatures. A work with no text has none."""

    __tablename__ = "work_signatures"

    work_id: Mapped[int] = mapped_column(ForeignKey("works.id"), primary_key=True)
    sig: Mapped[bytes] = mapped_column(LargeBinary)


class NearCopyState(StrEnum):
    OWN = "own"  # a near copy of a work with the same holders: one contribution
    CANDIDATE = "candidate"  # of another member's work: a dispute candidate
    DISPUTED = "disputed"  # the steward opened a dispute on it


class NearCopy(Base):
    """A work found, when it was registered, to be a near copy of an earlier work of the
    pool (estimated Jaccard of word shingles at least the threshold)."""

    __tablename__ = "near_copies"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id"), unique=True)
    copy_of: Mapped[int] = mapped_column(ForeignKey("works.id"), index=True)
    similarity: Mapped[float] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(16), index=True)

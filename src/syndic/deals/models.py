"""Tables for licensees, deals (offer + vote), ballots, agreements, tokens and deliveries."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from syndic.storage.base import Base, BigInt


class DealStatus(StrEnum):
    OFFERED = "offered"
    VOTING = "voting"
    APPROVED = "approved"
    REJECTED = "rejected"
    SIGNED = "signed"


class AgreementStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    TERMINATED = "terminated"


class Licensee(Base):
    __tablename__ = "licensees"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    contact: Mapped[str] = mapped_column(String(200))
    public_key: Mapped[str | None] = mapped_column(String(64))
    monthly_active_users: Mapped[int] = mapped_column(BigInt, default=0)
    created_at: Mapped[datetime]


class Deal(Base):
    """An offer from a licensee for the coalition's pool, then the members' vote on it."""

    __tablename__ = "deals"

    id: Mapped[int] = mapped_column(primary_key=True)
    licensee_id: Mapped[int] = mapped_column(ForeignKey("licensees.id"), index=True)
    terms: Mapped[dict[str, Any]]
    scope: Mapped[list[str]]  # collections; empty = the whole pool
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    quorum_bp: Mapped[int] = mapped_column(Integer, default=5000)
    vote_closes_at: Mapped[datetime | None]
    outcome: Mapped[dict[str, Any] | None]


class Ballot(Base):
    __tablename__ = "ballots"
    __table_args__ = (UniqueConstraint("deal_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    choice: Mapped[str] = mapped_column(String(8))
    cast_at: Mapped[datetime]


class Agreement(Base):
    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), unique=True)
    licensee_id: Mapped[int] = mapped_column(ForeignKey("licensees.id"), index=True)
    document: Mapped[bytes] = mapped_column(LargeBinary)  # canonical JSON, exactly as signed
    coalition_signature: Mapped[str] = mapped_column(Text)
    scope_root: Mapped[str] = mapped_column(String(71))
    works_count: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    log_index: Mapped[int] = mapped_column(BigInt)


class AgreementWork(Base):
    """The exact works an agreement covers (its scope, frozen at signing)."""

    __tablename__ = "agreement_works"
    __table_args__ = (UniqueConstraint("agreement_id", "work_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id"))


class AccessToken(Base):
    __tablename__ = "access_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class Delivery(Base):
    """The meter: what was delivered under which agreement."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    works: Mapped[int] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(BigInt)
    at: Mapped[datetime]

"""Tables for licensees, deals and their offers, agreements, tokens and deliveries.

A deal's vote lives in the governance tables (a proposal of kind ``deal``)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from syndic.deals.states import DealStatus
from syndic.storage.base import Base, BigInt
from syndic.terms.models import Terms, TermsColumn

__all__ = ["DealStatus"]


class AgreementStatus(StrEnum):
    PENDING = "pending"  # signed by the coalition, waiting for the licensee's signature
    ACTIVE = "active"
    EXPIRED = "expired"
    TERMINATED = "terminated"
    LAPSED = "lapsed"  # the licensee never signed, and the agreement's term is over


class Licensee(Base):
    __tablename__ = "licensees"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    contact: Mapped[str] = mapped_column(String(200))
    public_key: Mapped[str | None] = mapped_column(String(64))
    monthly_active_users: Mapped[int] = mapped_column(BigInt, default=0)
    created_at: Mapped[datetime]


class Deal(Base):
    """A negotiation with a licensee: its latest offer, then the members' vote on it."""

    __tablename__ = "deals"

    id: Mapped[int] = mapped_column(primary_key=True)
    licensee_id: Mapped[int] = mapped_column(ForeignKey("licensees.id"), index=True)
    # the latest offer, in full (every offer is also kept in deal_offers)
    terms: Mapped[Terms] = mapped_column(TermsColumn())
    scope: Mapped[list[str]]  # collections; empty = the whole pool
    clauses: Mapped[dict[str, Any]]  # payment schedule and reporting duties
    offer_by: Mapped[str] = mapped_column(String(16))  # who made the latest offer
    round: Mapped[int] = mapped_column(Integer)
    offer_expires_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    vote_closes_at: Mapped[datetime | None]
    outcome: Mapped[dict[str, Any] | None]


class DealOffer(Base):
    """One offer or counter-offer, with its difference from the one before."""

    __tablename__ = "deal_offers"
    __table_args__ = (UniqueConstraint("deal_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    party: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    document: Mapped[dict[str, Any]]
    diff: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    log_index: Mapped[int] = mapped_column(BigInt)


class Agreement(Base):
    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), unique=True)
    licensee_id: Mapped[int] = mapped_column(ForeignKey("licensees.id"), index=True)
    document: Mapped[bytes] = mapped_column(LargeBinary)  # canonical JSON, exactly as signed
    coalition_signature: Mapped[str] = mapped_column(Text)
    licensee_signature: Mapped[str | None] = mapped_column(Text)
    licensee_signed_at: Mapped[datetime | None]
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

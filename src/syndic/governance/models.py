"""Tables: charter versions, proposals (a question put to the members), ballots, delegations
and voice-credit spends."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from syndic.storage.base import Base, BigInt

GLOBAL_TOPIC = "*"  # a delegation for every topic


class ProposalKind(StrEnum):
    DEAL = "deal"
    CHARTER = "charter"


class ProposalStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class CharterVersion(Base):
    __tablename__ = "charters"

    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    document: Mapped[dict[str, Any]]
    adopted_at: Mapped[datetime]
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"))
    log_index: Mapped[int] = mapped_column(BigInt)


class Proposal(Base):
    """A question put to the members: a deal, or a charter amendment."""

    __tablename__ = "proposals"
    __table_args__ = (Index("ix_proposals_subject", "kind", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int | None]  # the deal, for a deal vote
    topic: Mapped[str] = mapped_column(String(32))
    question: Mapped[dict[str, Any]]  # what is decided, and what members were told before
    rule: Mapped[dict[str, Any]]  # the charter's rule, frozen when the vote opened
    charter_version: Mapped[int] = mapped_column(Integer)
    proposed_by: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[dict[str, Any] | None]
    tally_input: Mapped[dict[str, Any] | None]  # the ballot file the outcome was computed from
    # the ballot file as published to members and anyone: ``tally_input`` itself for an open
    # vote; for a secret one, voters under pseudonyms and delegated votes resolved (no chains)
    published_tally: Mapped[dict[str, Any] | None]


class Vote(Base):
    """One member's ballot on one proposal: votes per option (1 for a plain choice)."""

    __tablename__ = "proposal_ballots"
    __table_args__ = (UniqueConstraint("proposal_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    votes: Mapped[dict[str, Any]]
    commitment: Mapped[str] = mapped_column(String(64))  # SHA-256 of the salted ballot
    salt: Mapped[str] = mapped_column(String(32))
    cast_at: Mapped[datetime]
    # quadratic votes: the voice credits the voter held when casting (the ballot file's
    # ``credits``), so a later charter change or spend can never unbalance a closed tally
    credits_held: Mapped[int | None] = mapped_column(Integer)


IN_FORCE = text("revoked_at IS NULL")


class DelegationRow(Base):
    """A delegation; at most one per member and topic is in force (not revoked)."""

    __tablename__ = "delegations"
    __table_args__ = (
        Index(
            "uq_delegations_in_force",
            "member_id",
            "topic",
            unique=True,
            sqlite_where=IN_FORCE,
            postgresql_where=IN_FORCE,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    delegate_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    topic: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class CreditSpend(Base):
    """Voice credits a member spent on a proposal (directly, or through a delegate), charged
    to the period ``spent_at`` falls in."""

    __tablename__ = "voice_credit_spends"
    __table_args__ = (UniqueConstraint("member_id", "proposal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"))
    spent_at: Mapped[datetime]
    credits: Mapped[int] = mapped_column(Integer)

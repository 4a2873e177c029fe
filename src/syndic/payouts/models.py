"""Payouts sent to members and the statements that explain them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from syndic.storage.base import Base, BigInt


class Statement(Base):
    __tablename__ = "statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInt)
    currency: Mapped[str] = mapped_column(String(3))
    policy: Mapped[str] = mapped_column(String(64))
    basis: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class Payout(Base):
    """One payment to a member: written with its ledger posting, in the same transaction.
    ``payment_id`` is the stable id the rail deduplicates on (``rail_reference`` repeats it;
    rows from before payment ids keep their old rail reference as their id)."""

    __tablename__ = "payouts"
    __table_args__ = (UniqueConstraint("payment_id", name="uq_payouts_payment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    account: Mapped[str] = mapped_column(String(200))
    amount_minor: Mapped[int] = mapped_column(BigInt)
    currency: Mapped[str] = mapped_column(String(3))
    rail_reference: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    payment_id: Mapped[str] = mapped_column(String(64))
    ledger_txn_id: Mapped[int | None] = mapped_column(
        ForeignKey("ledger_txns.id", name="fk_payouts_ledger_txn_id")
    )


class CrawlSettlement(Base):
    """Part of a collection from a crawler operator, credited to the member whose site the
    crawler was charged on: what has been settled of the (agent, site) charges."""

    __tablename__ = "crawl_settlements"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    agent: Mapped[str] = mapped_column(String(200), index=True)
    site: Mapped[str] = mapped_column(String(100))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    amount_minor: Mapped[int] = mapped_column(BigInt)
    currency: Mapped[str] = mapped_column(String(3))
    ledger_txn_id: Mapped[int] = mapped_column(ForeignKey("ledger_txns.id"))
    created_at: Mapped[datetime]

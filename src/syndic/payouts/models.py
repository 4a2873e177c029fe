"""Payouts sent to members and the statements that explain them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
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
    __tablename__ = "payouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    account: Mapped[str] = mapped_column(String(200))
    amount_minor: Mapped[int] = mapped_column(BigInt)
    currency: Mapped[str] = mapped_column(String(3))
    rail_reference: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


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

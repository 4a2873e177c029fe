"""Tables: one row per gate decision (the crawl report reads these), and spent challenges."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from syndic.storage.base import Base, BigInt


class GateDecision(Base):
    """What the gate decided for one request; ``log_index`` is its leaf in the log."""

    __tablename__ = "gate_decisions"
    __table_args__ = (Index("ix_gate_decisions_site_at", "site", "at"),)

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    site: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(24))
    rule: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    agent: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(String(500))
    licensee_id: Mapped[int | None] = mapped_column(BigInt)
    agreement_id: Mapped[int | None] = mapped_column(BigInt)
    member_id: Mapped[int | None] = mapped_column(BigInt)  # whose site (None: `member: any`)
    charged_minor: Mapped[int] = mapped_column(BigInt, default=0)
    currency: Mapped[str | None] = mapped_column(String(3))
    # a pay-per-crawl charge is bound to its signature's nonce: a replayed request is refused
    charge_nonce: Mapped[str | None] = mapped_column(String(200), unique=True)
    log_index: Mapped[int] = mapped_column(BigInt)


class SpentChallenge(Base):
    """A proof-of-work challenge that has been redeemed once and never may be again."""

    __tablename__ = "gate_spent_challenges"

    challenge_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    spent_at: Mapped[datetime]

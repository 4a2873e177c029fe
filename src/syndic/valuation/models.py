"""Stored valuation runs: what was valued, how, on which snapshot, and the values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from syndic.storage.base import Base, BigInt


class ValuationRun(Base):
    __tablename__ = "valuation_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    method: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(100))
    seed: Mapped[int] = mapped_column(BigInt)
    params: Mapped[dict[str, Any]]
    # the pool as of this signed checkpoint: works whose registration leaf is below its size
    snapshot_size: Mapped[int] = mapped_column(BigInt)
    snapshot_root: Mapped[str] = mapped_column(String(100))
    # SHA-256 of what defined the corpus: every work's id, content digest, label and holders'
    # shares, as stored in this run's work rows (so later disputes, withdrawals or re-settled
    # shares do not change what the run is recomputed from)
    corpus_digest: Mapped[str] = mapped_column(String(71))
    versions: Mapped[dict[str, Any]]
    summary: Mapped[dict[str, Any]]
    result_digest: Mapped[str] = mapped_column(String(71))
    actor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime]
    log_index: Mapped[int] = mapped_column(BigInt)


class WorkValue(Base):
    __tablename__ = "valuation_work_values"
    __table_args__ = (UniqueConstraint("run_id", "work_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("valuation_runs.id"), index=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id"), index=True)
    # "valued" (cross-fitted runs value every work); "train" / "test" in runs before them
    role: Mapped[str] = mapped_column(String(8))
    label: Mapped[str] = mapped_column(Text)  # the work's label in this run
    holders: Mapped[list[Any]] = mapped_column(JSON)  # [[member id, share bp], ...] at the run
    value: Mapped[float] = mapped_column(Float)
    stderr: Mapped[float] = mapped_column(Float)


class MemberValue(Base):
    __tablename__ = "valuation_member_values"
    __table_args__ = (UniqueConstraint("run_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("valuation_runs.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    works_valued: Mapped[int]
    value_sum: Mapped[float] = mapped_column(Float)
    stderr_sum: Mapped[float] = mapped_column(Float)
    value_group: Mapped[float | None] = mapped_column(Float)
    stderr_group: Mapped[float | None] = mapped_column(Float)
    rank: Mapped[int]
    rank_low: Mapped[int]
    rank_high: Mapped[int]
    explanation: Mapped[dict[str, Any]]

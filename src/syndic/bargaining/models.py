"""Stored leverage runs: what was measured, how, on which snapshot, with which data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from syndic.storage.base import Base, BigInt


class LeverageRun(Base):
    __tablename__ = "leverage_runs"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    label: Mapped[str] = mapped_column(String(100))
    seed: Mapped[int] = mapped_column(BigInt)
    params: Mapped[dict[str, Any]]
    # the pool as of this signed checkpoint, as for valuation runs
    snapshot_size: Mapped[int] = mapped_column(BigInt)
    snapshot_root: Mapped[str] = mapped_column(String(100))
    # the outside data file, the index sets (splits.npz) and the feature matrix, by digest: the
    # first two are kept in the vault, so the run is recomputed from exactly what it used
    outside_digest: Mapped[str] = mapped_column(String(71))
    splits_digest: Mapped[str] = mapped_column(String(71))
    features_digest: Mapped[str] = mapped_column(String(71))
    versions: Mapped[dict[str, Any]]
    points: Mapped[list[Any]] = mapped_column(JSON)  # every measured point
    result: Mapped[dict[str, Any]]  # fits, strike, equivalent data, groups, price range
    result_digest: Mapped[str] = mapped_column(String(71))
    actor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime]
    log_index: Mapped[int] = mapped_column(BigInt)

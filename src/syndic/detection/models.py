"""Tables of detection: stored scans of datasets and their matches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from syndic.storage.base import Base, BigInt


class Scan(Base):
    """One scan of a dataset: what was read, with which parameters, against which index."""

    __tablename__ = "detection_scans"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    dataset: Mapped[str] = mapped_column(Text)  # the path as given
    dataset_digest: Mapped[str] = mapped_column(String(80))
    format: Mapped[str] = mapped_column(String(16))
    params: Mapped[dict[str, Any]]  # shingles, thresholds, fields
    index_version: Mapped[dict[str, Any]]  # tree size and root the index covered
    records: Mapped[int] = mapped_column(BigInt)
    matches: Mapped[int] = mapped_column(Integer)
    canaries: Mapped[list[Any]] = mapped_column(JSON)  # [{position, record, agreement}]
    created_at: Mapped[datetime]
    log_index: Mapped[int] = mapped_column(BigInt)


class ScanMatch(Base):
    """A record of a scanned dataset that matches a member's work."""

    __tablename__ = "detection_matches"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("detection_scans.id"), index=True)
    position: Mapped[int] = mapped_column(BigInt)
    record_id: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(Text)
    work_id: Mapped[int] = mapped_column(BigInt, index=True)
    digest: Mapped[str] = mapped_column(String(80))
    members: Mapped[list[Any]] = mapped_column(JSON)  # member ids holding the work
    jaccard: Mapped[float] = mapped_column(Float)
    containment: Mapped[float] = mapped_column(Float)
    record_containment: Mapped[float] = mapped_column(Float)
    shared: Mapped[int] = mapped_column(Integer)
    span: Mapped[dict[str, Any]]  # {"words", "record": [start, end], "work": [start, end]}
    record_passage: Mapped[str] = mapped_column(Text)
    work_passage: Mapped[str] = mapped_column(Text)

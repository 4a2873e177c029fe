"""Tables of access: the usage reports licensees file under their agreements."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from syndic.storage.base import Base, BigInt


class UsageReport(Base):
    """A licensee's report of how it used the data delivered in ``[period_start, period_end)``."""

    __tablename__ = "usage_reports"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    records_used: Mapped[int] = mapped_column(BigInt)
    note: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[datetime]
    log_index: Mapped[int] = mapped_column(BigInt)

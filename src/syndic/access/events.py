"""The events access records: licensees' usage reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from syndic.provenance.events import Event


@dataclass(frozen=True)
class UsageReported(Event):
    """A licensee reported its use of the delivered data over ``[period_start, period_end)``."""

    kind: ClassVar[str] = "access.usage_reported"
    report: int
    agreement: int
    period_start: str
    period_end: str
    records_used: int

"""What the payouts part writes to the log: ledger postings and payouts sent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from syndic.provenance.events import Event


@dataclass(frozen=True)
class PayoutSent(Event):
    kind: ClassVar[str] = "payout.sent"
    member: int
    amount_minor: int
    currency: str
    rail_reference: str


@dataclass(frozen=True)
class LedgerPosted(Event):
    kind: ClassVar[str] = "ledger.posted"
    memo: str
    currency: str
    lines: list[list[Any]]  # [account, amount in minor units]

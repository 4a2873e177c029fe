"""What the payouts part writes to the log: ledger postings and payouts sent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from syndic.provenance.events import Event


@dataclass(frozen=True)
class PayoutSent(Event):
    """A payment posted to the ledger (the rail gets it after commit). ``rail_reference`` is
    the payment's stable id; ``account`` and ``ledger_txn`` are logged since payment ids
    (older entries have neither)."""

    kind: ClassVar[str] = "payout.sent"
    optional: ClassVar[frozenset[str]] = frozenset({"account", "ledger_txn"})
    member: int
    amount_minor: int
    currency: str
    rail_reference: str
    account: str | None = None
    ledger_txn: int | None = None


@dataclass(frozen=True)
class LedgerPosted(Event):
    kind: ClassVar[str] = "ledger.posted"
    memo: str
    currency: str
    lines: list[list[Any]]  # [account, amount in minor units]


@dataclass(frozen=True)
class PayoutDistributed(Event):
    """The statements a distribution wrote, one per covered member, in the order written:
    ``{member, amount_minor, basis_sha256}`` (the SHA-256 of the basis' canonical JSON), so
    ``syndic audit`` can check each statement row. Distributions logged before this event
    existed are checked against their ledger posting alone."""

    kind: ClassVar[str] = "payout.distributed"
    agreement: int
    policy: str
    currency: str
    ledger_txn: int
    statements: list[dict[str, Any]]

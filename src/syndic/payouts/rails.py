"""Payout rails: where money to members actually goes. Swappable; the default writes
payment instructions to a file the treasurer executes (and that an auditor can diff).

A payment reaches the rail only after the transaction that posted it has committed, and it
reaches it *at least once*: every ``payout run`` hands the rail every payment the database
holds, and the rail drops the ones whose id it already has. So a run killed at any point,
then run again, puts each payment on the rail exactly once (docs/payouts.md).
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from syndic.errors import InputFileError, OutputFileError


@dataclass(frozen=True)
class Payment:
    """One payment, as the ledger posted it: its stable id is what deduplicates it."""

    id: str
    account: str
    amount_minor: int
    currency: str
    memo: str

    def line(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "account": self.account,
            "amount_minor": self.amount_minor,
            "currency": self.currency,
            "memo": self.memo,
        }


@dataclass(frozen=True)
class RailLine:
    """What the rail holds at one position (``line``, from 1): a payment, or why it is not."""

    line: int
    payment: Payment | None
    problem: str | None = None


class PayoutRail(Protocol):
    def deliver(self, payments: Sequence[Payment]) -> int:
        """Hand ``payments`` to the rail, skipping every id it already holds; returns how many
        were new. Idempotent: delivering the same payments again changes nothing."""
        ...

    def held(self) -> list[RailLine]:
        """Everything the rail holds, in order (what ``payout reconcile`` compares)."""
        ...


class InstructionFileRail:
    """Appends one JSON line per payment to ``payout-instructions.jsonl``.

    The file is the treasurer's: it is only ever appended to, under an exclusive lock (two
    runs at once append each payment once). A line cut short by a crash (no final newline)
    was never a complete instruction; it is dropped before the next append."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def deliver(self, payments: Sequence[Payment]) -> int:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._locked() as fd:
                _drop_torn_tail(fd)
                have = {r.payment.id for r in _parse(_read(fd)) if r.payment is not None}
                new = 0
                for p in payments:
                    if p.id in have:
                        continue
                    # one write per line: a kill leaves whole lines, or one torn last line
                    os.write(fd, (json.dumps(p.line(), sort_keys=True) + "\n").encode())
                    have.add(p.id)
                    new += 1
                os.fsync(fd)
                return new
        except OSError as exc:
            raise OutputFileError(f"cannot write payout instructions {self.path}: {exc}") from exc

    def held(self) -> list[RailLine]:
        try:
            data = self.path.read_bytes() if self.path.exists() else b""
        except OSError as exc:
            raise InputFileError(f"cannot read payout instructions {self.path}: {exc}") from exc
        return _parse(data)

    @contextmanager
    def _locked(self) -> Iterator[int]:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield fd
        finally:
            os.close(fd)  # releases the lock


def _read(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _drop_torn_tail(fd: int) -> None:
    data = _read(fd)
    if data and not data.endswith(b"\n"):
        os.ftruncate(fd, data.rfind(b"\n") + 1)


def _parse(data: bytes) -> list[RailLine]:
    """The file's complete lines as payments. Lines written before payment ids existed carry
    ``ref`` (the id their payout row was given by the migration) instead of ``id``."""
    out = []
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for n, raw in enumerate(lines, 1):
        try:
            obj = json.loads(raw)
            pid = obj.get("id", obj.get("ref"))
            amount = obj["amount_minor"]
            if not isinstance(pid, str) or isinstance(amount, bool) or not isinstance(amount, int):
                raise TypeError("id or amount_minor of the wrong type")
            payment = Payment(
                pid, str(obj["account"]), amount, str(obj["currency"]), str(obj.get("memo", ""))
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            out.append(RailLine(n, None, f"line {n} is not a payment instruction ({exc})"))
            continue
        out.append(RailLine(n, payment))
    return out

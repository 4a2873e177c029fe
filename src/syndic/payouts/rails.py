"""Payout rails: where money to members actually goes. Swappable; the default writes
payment instructions to a file the treasurer executes (and that an auditor can diff)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Protocol


class PayoutRail(Protocol):
    def send(self, *, account: str, amount_minor: int, currency: str, memo: str) -> str:
        """Hand one payment to the rail; return the rail's reference for it."""
        ...


class InstructionFileRail:
    """Appends one JSON line per payment to ``payout-instructions.jsonl``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, *, account: str, amount_minor: int, currency: str, memo: str) -> str:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        ref = f"instr-{uuid.uuid4().hex[:16]}"
        line = {
            "ref": ref,
            "account": account,
            "amount_minor": amount_minor,
            "currency": currency,
            "memo": memo,
        }
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(line) + "\n")
        return ref

"""``GatePort``: every side effect the gate needs, behind one protocol.

The pure core (conditions, ``decide``) reads facts; the shell (``Gate``) and the ASGI
adapter do their I/O only through this port. ``syndic.gateway.Gateway`` implements it over
deals, payouts and the event log; ``syndic.testing.MemoryGatePort`` in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from syndic.gate.events import GateDecided
from syndic.gate.licensing import LicenceCheck
from syndic.terms.models import Usage

# the longest value of each text field of a decision, as its column holds it: a field is cut
# to this when the record is made, so a 64 KiB URI is logged and stored as its first 500
# characters and can never make a log entry or a row too large to write
FIELD_LIMITS = {
    "site": 100,
    "outcome": 24,
    "rule": 64,
    "agent": 200,
    "path": 500,
    "currency": 3,
    "charge_nonce": 200,
}


def clip(value: str, limit: int) -> str:
    """``value`` cut to ``limit`` characters, the cut marked with a final ``…``."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


@dataclass
class DecisionRecord:
    """One decision as it is logged and stored (a row of ``gate_decisions``); its text fields
    are bounded (``FIELD_LIMITS``) when it is made."""

    site: str
    outcome: str
    rule: str
    status: int
    agent: str
    path: str
    at: datetime
    licensee_id: int | None = None
    agreement_id: int | None = None
    member_id: int | None = None  # the member whose site this is, from the policy
    charged_minor: int = 0
    currency: str | None = None
    charge_nonce: str | None = None

    def __post_init__(self) -> None:
        for name, limit in FIELD_LIMITS.items():
            value = getattr(self, name)
            if isinstance(value, str):
                setattr(self, name, clip(value, limit))

    def event(self) -> GateDecided:
        return GateDecided(
            site=self.site,
            outcome=str(self.outcome),
            rule=self.rule,
            status=self.status,
            path=self.path,
            licensee_id=self.licensee_id,
            agreement_id=self.agreement_id,
            member_id=self.member_id,
            charged_minor=self.charged_minor,
            currency=self.currency,
        )


class GatePort(Protocol):
    """The gate's I/O. Blocking methods run in a worker thread; ``record`` only queues."""

    def check_licence(self, token: str, *, usage: Usage, member: int | None) -> LicenceCheck:
        """Whether ``token`` grants ``usage`` of ``member``'s works (any member when None)."""
        ...

    def reserve_nonce(self, nonce: str, *, at: datetime) -> bool:
        """Hold a paid request's nonce; False when it is already held (a replay)."""
        ...

    def release_nonce(self, nonce: str) -> None:
        """Give a held nonce back (the request was not charged); never raises."""
        ...

    def book_charge(self, record: DecisionRecord) -> None:
        """Book a charge's ledger posting and its decision in one transaction."""
        ...

    def spend_challenge(self, challenge_id: str, record: DecisionRecord) -> bool:
        """Mark a proof-of-work challenge spent, with its decision; False when it already was."""
        ...

    def record(self, record: DecisionRecord) -> None:
        """Queue a decision to be logged (written in batches)."""
        ...

    def flush(self) -> int:
        """Write every queued decision now; returns how many."""
        ...

    def metrics(self) -> dict[str, int]:
        """Counters of the decision journal: written, pending, dropped, lost, failures."""
        ...

    def start(self) -> None:
        """Start writing queued decisions in the background (inside the running loop)."""
        ...

    async def aclose(self) -> None:
        """Stop the background writer and write what is queued."""
        ...

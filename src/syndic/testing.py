"""Fakes shipped with the package (real objects, not mocks) for tests and embedding."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from syndic.deals.views import Grant
from syndic.errors import AuthError, Forbidden
from syndic.gate.licensing import LicenceCheck
from syndic.gate.port import DecisionRecord
from syndic.payouts.rails import Payment, RailLine
from syndic.terms.models import Usage


class ManualClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta


class RecordingRail:
    """A payout rail in memory: keeps the payments it was handed, in order, once per id."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, int, str]] = []
        self.payments: list[Payment] = []

    def deliver(self, payments: Sequence[Payment]) -> int:
        have = {p.id for p in self.payments}
        new = [p for p in payments if p.id not in have]
        self.payments += new
        self.sent += [(p.account, p.amount_minor, p.currency) for p in new]
        return len(new)

    def held(self) -> list[RailLine]:
        return [RailLine(n, p) for n, p in enumerate(self.payments, 1)]


class MemoryGatePort:
    """The gate's port (``syndic.gate.port.GatePort``) in memory: licences are whatever
    ``grants`` says (token -> grant), and nonces, spent challenges, charges and decisions are
    kept in lists and sets to look at."""

    def __init__(self, grants: dict[str, Grant] | None = None) -> None:
        self.grants = dict(grants or {})
        self.nonces: set[str] = set()
        self.spent: set[str] = set()
        self.charges: list[DecisionRecord] = []
        self.queued: list[DecisionRecord] = []
        self.written: list[DecisionRecord] = []
        self.licence_checks = 0

    def check_licence(self, token: str, *, usage: Usage, member: int | None) -> LicenceCheck:
        self.licence_checks += 1
        grant = self.grants.get(token)
        if grant is None:
            return LicenceCheck(None, AuthError("licence token is not valid"))
        if usage.value not in grant.usages:
            return LicenceCheck(None, Forbidden(f"agreement {grant.agreement_id} does not permit"))
        return LicenceCheck(grant, None)

    def reserve_nonce(self, nonce: str, *, at: datetime) -> bool:
        if nonce in self.nonces:
            return False
        self.nonces.add(nonce)
        return True

    def release_nonce(self, nonce: str) -> None:
        self.nonces.discard(nonce)

    def book_charge(self, record: DecisionRecord) -> None:
        self.charges.append(record)
        self.written.append(record)

    def spend_challenge(self, challenge_id: str, record: DecisionRecord) -> bool:
        if challenge_id in self.spent:
            return False
        self.spent.add(challenge_id)
        self.written.append(record)
        return True

    def record(self, record: DecisionRecord) -> None:
        self.queued.append(record)

    def flush(self) -> int:
        n = len(self.queued)
        self.written += self.queued
        self.queued = []
        return n

    def metrics(self) -> dict[str, int]:
        n = len(self.written)
        return {"written": n, "pending": len(self.queued), "dropped": 0, "lost": 0, "failures": 0}

    def start(self) -> None:
        pass

    async def aclose(self) -> None:
        self.flush()

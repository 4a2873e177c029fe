"""Fakes shipped with the package (real objects, not mocks) for tests and embedding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class ManualClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta


class RecordingRail:
    """A payout rail that keeps the payments it was handed, in order."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, int, str]] = []

    def send(self, *, account: str, amount_minor: int, currency: str, memo: str) -> str:
        self.sent.append((account, amount_minor, currency))
        return f"rec-{len(self.sent)}"

"""Voice credits for quadratic voting: a fresh allowance each period; what happens to the
unspent rest is the charter's choice (``expire``, or ``carry-over`` of at most one period's
allowance, so a long silence cannot build up a war chest)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def period_of(at: datetime, period_days: int) -> int:
    """Periods are counted from the Unix epoch, so everyone's periods start together."""
    return (at - EPOCH).days // period_days


def balance(
    *,
    per_period: int,
    unspent: str,
    spent: Mapping[int, int],
    first_period: int,
    period: int,
) -> int:
    """Credits a member still holds in ``period``, given what they spent in each period since
    ``first_period`` (the one they joined in)."""
    if unspent == "expire" or period <= first_period:
        return per_period - spent.get(period, 0)
    carry = 0
    for p in range(first_period, period + 1):
        held = per_period + min(per_period, carry)
        carry = max(0, held - spent.get(p, 0))
    return held - spent.get(period, 0)

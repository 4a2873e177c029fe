"""Rights holders' shares: parsing and the 100% rule."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from syndic.errors import SharesError
from syndic.members.models import FULL_SHARE_BP


def check_shares(holders: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``holders`` is ``[(member_id, share_bp)]``; shares must be positive and sum to 100%."""
    if not holders:
        raise SharesError("a work needs at least one rights holder")
    seen: set[int] = set()
    for member_id, bp in holders:
        if member_id in seen:
            raise SharesError(f"member {member_id} is listed twice as a rights holder")
        seen.add(member_id)
        if isinstance(bp, bool) or not isinstance(bp, int) or bp <= 0:
            raise SharesError(
                f"share of member {member_id} must be a positive number of basis points"
            )
    total = sum(bp for _, bp in holders)
    if total != FULL_SHARE_BP:
        raise SharesError(f"shares sum to {Decimal(total) / 100}%, not 100%")
    return holders


def parse_percent(text: str) -> int:
    """ "60" or "33.33" (percent) -> basis points."""
    try:
        value = Decimal(text.strip().removesuffix("%"))
    except InvalidOperation as exc:
        raise SharesError(f"not a percentage: {text!r}") from exc
    bp = value * 100
    if not bp.is_finite() or bp != bp.to_integral_value():
        raise SharesError(f"share {text} has more than two decimal places")
    return int(bp)

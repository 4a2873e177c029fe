"""Members' mandates applied to a deal: each red line it crosses leaves that member's works out.

A mandate holds prohibited usages, a floor price and whether deals with very large platforms
may cover the member's works. A work with several rights holders is covered only if it crosses
none of its holders' mandates: every holder keeps their veto over their own work.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from syndic.terms.models import Usage, expand


@dataclass(frozen=True)
class Mandate:
    prohibited_usages: tuple[str, ...]
    floor_price_minor: int
    allow_vlop: bool


@dataclass(frozen=True)
class Proposed:
    """What the mandate is checked against: a deal's usages, price and counterparty size."""

    usages: frozenset[Usage]
    amount_minor: int
    licensee_is_vlop: bool


def is_vlop(monthly_active_users: int, threshold: int) -> bool:
    """A very large platform under the market-leader clause (threshold set by the charter)."""
    return monthly_active_users >= threshold


def red_lines_crossed(mandate: Mandate, deal: Proposed) -> list[str]:
    """Every red line ``deal`` crosses, in words; empty when the mandate allows it."""
    crossed = []
    forbidden = expand(_usages(mandate.prohibited_usages))
    hit = sorted(u.value for u in expand(deal.usages) & forbidden)
    if hit:
        crossed.append(f"usage {', '.join(hit)} crosses the member's red line")
    if deal.amount_minor < mandate.floor_price_minor:
        crossed.append("price below the member's floor")
    if deal.licensee_is_vlop and not mandate.allow_vlop:
        crossed.append("the member refuses deals with very large platforms")
    return crossed


def _usages(tokens: Iterable[str]) -> list[Usage]:
    return [Usage(t) for t in tokens]

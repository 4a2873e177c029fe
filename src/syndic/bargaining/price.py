"""A price range for the pool, every figure with its interval and its assumptions in words.

- The builder's willingness to pay is bounded twice: by what the equivalent outside data would
  cost them (extra works times a price per work), and by what the quality gain is worth to
  them (accuracy points times a value per point). A rational builder pays at most the smaller.
- The coalition's reservation price is the lowest price at which at least the charter's
  coverage share of the pool's works stays covered: a work is covered at price P when every
  one of its holders' mandate floors is at most P (a member who left never is).
- The suggested ask splits the surplus between them by the Nash bargaining solution with
  weight ``w`` for the coalition: ``reservation + w * (willingness - reservation)``; with
  ``w = 0.5`` the surplus is split evenly. When the builder's bound is below the reservation
  there is no zone of agreement and no ask is suggested.

Money is in integer minor units, rounded to the nearest unit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

FULL_BP = 10_000


def _minor(v: float) -> int | None:
    return None if not math.isfinite(v) else round(max(0.0, v))


def willingness(
    strike: Mapping[str, Any],
    equivalent: Mapping[str, Any],
    *,
    price_per_work_minor: int,
    value_per_point_minor: int,
) -> dict[str, Any]:
    if strike.get("accuracy_points") is None:
        return {
            "value_of_gain": {"minor": None, "words": strike.get("words", "")},
            "cost_of_equivalent_data": {"minor": None},
            "max_minor": None,
            "max_interval": None,
            "words": "no bound: the data strike could not be read off the curves",
        }
    pts = float(strike["accuracy_points"])
    lo, hi = (float(v) for v in strike["accuracy_points_interval"])
    gain: dict[str, Any] = {
        "minor": _minor(pts * value_per_point_minor),
        "interval": [_minor(lo * value_per_point_minor), _minor(hi * value_per_point_minor)],
        "words": f"{pts:.2f} accuracy points x {value_per_point_minor} minor units per point",
    }
    bounds = [gain]
    extra = equivalent.get("extra_works")
    if extra is None:
        cost: dict[str, Any] = {"minor": None, "words": equivalent.get("words", "")}
    else:
        elo, ehi = (float(v) for v in equivalent["extra_works_interval"])
        cost = {
            "minor": _minor(float(extra) * price_per_work_minor),
            "interval": [_minor(elo * price_per_work_minor), _minor(ehi * price_per_work_minor)],
            "words": f"{float(extra):,.0f} extra outside works x {price_per_work_minor} minor "
            "units per work",
        }
        bounds.append(cost)
    best = min(bounds, key=lambda b: math.inf if b["minor"] is None else b["minor"])
    return {
        "value_of_gain": gain,
        "cost_of_equivalent_data": cost,
        "max_minor": best["minor"],
        "max_interval": best["interval"],
        "words": "the builder's most: the smaller of what the gain is worth and what the "
        "equivalent outside data would cost (when it can be bought at all)",
    }


def reservation(
    holders: Sequence[Sequence[int]], floors: Mapping[int, int | None], *, coverage_bp: int
) -> dict[str, Any]:
    """``holders[i]``: the members holding pool work ``i``; ``floors``: each member's mandate
    floor (None: the member cannot be covered at any price)."""
    need = coverage_bp / FULL_BP
    n = len(holders)
    work_floor: list[float] = []
    for hs in holders:
        fs = [floors.get(m) for m in hs]
        known = [f for f in fs if f is not None]
        work_floor.append(math.inf if len(known) < len(fs) else float(max([0, *known])))
    base = {"coverage_bp": coverage_bp, "works": n}
    reachable = sorted(f for f in work_floor if math.isfinite(f))
    if n == 0 or len(reachable) < math.ceil(need * n):
        return {
            **base,
            "minor": None,
            "covered_share": len(reachable) / n if n else 0.0,
            "words": "the charter's coverage share cannot be reached at any price",
        }
    k = max(1, math.ceil(need * n))
    price = int(reachable[k - 1])
    covered = sum(1 for f in work_floor if f <= price)
    return {
        **base,
        "minor": price,
        "covered_share": covered / n,
        "words": f"at {price} minor units {covered:,} of {n:,} pool works "
        f"({100 * covered / n:.1f}%) stay covered, at least the charter's "
        f"{coverage_bp / 100:g}%; any lower and members' floors take works out",
    }


def nash_ask(reservation_minor: int | None, max_minor: int | None, weight: float) -> dict[str, Any]:
    if reservation_minor is None or max_minor is None:
        return {"minor": None, "weight": weight, "words": "no ask: one end of the range is unknown"}
    if max_minor < reservation_minor:
        return {
            "minor": None,
            "weight": weight,
            "words": "no zone of agreement: the builder's most is below the reservation price",
        }
    ask = round(reservation_minor + weight * (max_minor - reservation_minor))
    return {
        "minor": ask,
        "weight": weight,
        "words": f"Nash split with the coalition's weight {weight:g}: the reservation price "
        f"plus {weight:g} of the surplus up to the builder's most",
    }


def position(price_minor: int, price_range: Mapping[str, Any]) -> str:
    """Where a price sits in the range, in words."""
    res = price_range["reservation"]["minor"]
    ask = price_range["ask"]["minor"]
    most = price_range["willingness"]["max_minor"]
    if res is not None and price_minor < res:
        return "below the reservation price: fewer works than the charter's share stay covered"
    if most is not None and price_minor > most:
        return "above the builder's estimated most: they may walk away"
    if ask is not None:
        side = "at or above" if price_minor >= ask else "below"
        return f"inside the range, {side} the suggested ask"
    return "no complete range to place it in"

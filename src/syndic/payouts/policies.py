"""Distribution policies: how an amount is split among members, exactly to the minor unit."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from syndic.errors import InvalidInput, PolicyError


def split_exact(total_minor: int, weights: Mapping[int, int | float]) -> dict[int, int]:
    """Split ``total_minor`` in proportion to ``weights`` so the parts sum exactly to the total.

    Largest-remainder method: everyone gets the floor of their exact share, then the leftover
    minor units go to the largest remainders (ties to the lower member id), so the result is
    deterministic and nothing is lost or created by rounding.
    """
    if total_minor < 0:
        raise InvalidInput("cannot distribute a negative amount")
    positive = {k: w for k, w in weights.items() if w > 0}
    if any(w < 0 for w in weights.values()):
        raise InvalidInput("distribution weights cannot be negative")
    if not positive:
        raise InvalidInput("nobody to distribute to: every weight is zero")
    if all(isinstance(w, int) for w in positive.values()):
        wsum = sum(int(w) for w in positive.values())
        parts = {k: total_minor * int(w) // wsum for k, w in positive.items()}
        rema = {k: total_minor * int(w) % wsum for k, w in positive.items()}
        order = sorted(positive, key=lambda k: (-rema[k], k))
    else:
        fsum = float(sum(positive.values()))
        exact = {k: total_minor * float(w) / fsum for k, w in positive.items()}
        parts = {k: int(v) for k, v in exact.items()}
        order = sorted(positive, key=lambda k: (-(exact[k] - parts[k]), k))
    for k in order[: total_minor - sum(parts.values())]:
        parts[k] += 1
    return parts


FLOOR_BP_MAX = 10_000


@dataclass(frozen=True)
class ValuationWeighted:
    """Valuation-weighted shares with a floor.

    ``floor_bp`` of the revenue (basis points, rounded down to the minor unit) is split pro rata
    by works covered, so every covered member gets something; the rest is split in proportion
    to each covered member's positive value. Members whose value is 0 or below get only their
    floor part; if no covered member has a positive value, the rest goes pro rata too. Both
    parts are exact to the minor unit (largest remainder), so nothing is created or lost.
    """

    values: Mapping[int, float]
    floor_bp: int
    name: str = "valuation-weighted"

    def __post_init__(self) -> None:
        if isinstance(self.floor_bp, bool) or not isinstance(self.floor_bp, int):
            raise PolicyError(
                f"floor_bp must be an integer number of basis points, not {self.floor_bp!r}"
            )
        if not 0 <= self.floor_bp <= FLOOR_BP_MAX:
            raise PolicyError(f"floor_bp must be between 0 and {FLOOR_BP_MAX}, got {self.floor_bp}")
        bad = [m for m, v in self.values.items() if not math.isfinite(v)]
        if bad:
            raise PolicyError(f"member value is not a finite number for member(s) {bad[:5]}")

    def parts(self, total_minor: int, covered: Mapping[int, int]) -> dict[int, tuple[int, int]]:
        """Per covered member: (floor part, value part), in minor units."""
        floor_total = total_minor * self.floor_bp // FLOOR_BP_MAX
        floor = split_exact(floor_total, covered) if floor_total else {}
        positive = {m: v for m in covered if (v := self.values.get(m, 0.0)) > 0}
        rest = total_minor - floor_total
        value = split_exact(rest, positive or covered) if rest else {}
        return {m: (floor.get(m, 0), value.get(m, 0)) for m in covered if covered[m] > 0}

    def split(self, total_minor: int, covered: Mapping[int, int]) -> dict[int, int]:
        return {m: f + v for m, (f, v) in self.parts(total_minor, covered).items()}

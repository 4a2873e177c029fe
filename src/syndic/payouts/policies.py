"""Distribution policies: how an amount is split among members, exactly to the minor unit."""

from __future__ import annotations

from collections.abc import Mapping

from syndic.errors import InvalidInput


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


def pro_rata_works(share_bp_by_member: Mapping[int, int], total_minor: int) -> dict[int, int]:
    """Pro rata by number of works covered (each work weighted by the member's share in it)."""
    return split_exact(total_minor, share_bp_by_member)

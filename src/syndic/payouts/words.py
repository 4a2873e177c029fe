"""A statement in words: what a member was paid, out of what, and why (for people; the
figures themselves stay in the statement's ``basis``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from syndic.money import show


def statement_in_words(
    amount_minor: int, currency: str, policy: str, basis: Mapping[str, Any]
) -> str:
    """One or two sentences a member can check against the agreement and the charter."""
    pool = basis.get("pool_minor")
    paid = show(amount_minor, currency)
    out_of = f" of the {show(pool, currency)} distributed" if isinstance(pool, int) else ""
    share = basis.get("weight_fraction")
    works_bp = basis.get("covered_share_bp", 0)
    # shares are basis points of a work: 10,000 bp is one whole work
    works = f"{works_bp / 10_000:g} whole works" if works_bp else "no covered works"
    if policy == "pro-rata-works":
        pct = f" ({share:.2%} of the total)" if isinstance(share, float) else ""
        return (
            f"You receive {paid}{out_of}, pro rata by works: your holdings in the works this "
            f"agreement covers add up to {works}{pct}."
        )
    floor, value = basis.get("floor_minor"), basis.get("value_minor")
    if isinstance(floor, int) and isinstance(value, int):
        floor_pct = basis.get("floor_bp", 0) / 100
        parts = (
            f"{show(floor, currency)} is your pro rata part of the {floor_pct:g}% floor shared "
            f"by works ({works}), and {show(value, currency)} is paid in proportion to the value "
            "of your covered works in the valuation run"
        )
        why = str(basis.get("why") or "")
        return f"You receive {paid}{out_of}: {parts}." + (f" {why}" if why else "")
    return f"You receive {paid}{out_of} under the {policy} policy."

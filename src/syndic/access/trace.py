"""Tracing a leaked copy to the licensee it was delivered to, with a bound on false accusation.

Every markable place in the leaked texts (``marks.places``) shows one bit: the form it is
written in. A copy delivered under agreement ``A`` shows, at every place of a member's work,
the bit ``A``'s key chose. For any other source, ``A``'s bits are a keyed pseudo-random
function that source never saw, so each place agrees with ``A`` with probability 1/2,
independently across distinct places. Only texts that show at least one typographic form
count (see ``observed``), and places are counted once per distinct context (the same words
around the same kind of mark), so a sentence repeated many times cannot pile up agreement.

For each agreement: ``n`` places, ``k`` agreeing; the p-value is P(Binomial(n, 1/2) >= k),
the chance that a copy not delivered under ``A`` agrees this well. With ``m`` agreements
tested, the best one is named only when ``m * p <= alpha`` (Bonferroni): the chance of naming
anyone falsely is at most ``alpha``. Otherwise the answer is "no licensee".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from syndic.access.marks import Place, expected_bit, places

ALPHA = 1e-6
"""The bound on the chance of a false accusation over all agreements tested."""


@dataclass(frozen=True)
class Candidate:
    agreement: int
    places: int
    agreeing: int
    p_value: float


@dataclass(frozen=True)
class Verdict:
    agreement: int | None
    p_value: float | None
    places: int
    records: int
    candidates: list[Candidate] = field(default_factory=list)
    canaries: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "agreement": self.agreement,
            "p_value": self.p_value,
            "alpha": ALPHA,
            "places": self.places,
            "records": self.records,
            "canaries": self.canaries,
            "candidates": [c.__dict__ for c in self.candidates[:5]],
        }


def binomial_tail(n: int, k: int) -> float:
    """P(X >= k) for X ~ Binomial(n, 1/2), exactly (in log space, so it never underflows
    to a wrong answer before it is tiny)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    logs = [
        math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) for i in range(k, n + 1)
    ]
    top = max(logs)
    return min(1.0, math.exp(top - n * math.log(2)) * sum(math.exp(x - top) for x in logs))


def observed(texts: Iterable[str]) -> list[Place]:
    """The places that count: those of texts showing at least one typographic form (a marked
    copy shows one at about half its places; text written plainly, such as most unrelated
    records mixed in, shows none), one per distinct (kind, context); a context seen with
    both forms is dropped. The choice looks only at the forms, never at any key, so under
    the null hypothesis the counted bits stay fair coins against every agreement's key."""
    seen: dict[tuple[str, bytes], Place | None] = {}
    for text in texts:
        found = list(places(text))
        if not any(p.bit for p in found):
            continue
        for p in found:
            key = (p.plain, p.context)
            if key in seen and (prev := seen[key]) is not None and prev.bit != p.bit:
                seen[key] = None
            elif key not in seen:
                seen[key] = p
    return [p for p in seen.values() if p is not None]


def trace(
    texts: Iterable[str], keys: Mapping[int, bytes], *, canaries: Iterable[int] = ()
) -> Verdict:
    """Which agreement's delivery the ``texts`` come from, if the evidence is strong enough.
    (``canaries``: agreements whose canaries the texts hold; read after ``texts``.)"""
    counted = _Counted(texts)
    obs = observed(counted)
    found = sorted(set(canaries))
    candidates = sorted(
        (_candidate(a, key, obs) for a, key in keys.items()),
        key=lambda c: (c.p_value, c.agreement),
    )
    best = candidates[0] if candidates else None
    if best is not None and best.p_value * len(candidates) <= ALPHA:
        return Verdict(best.agreement, best.p_value, len(obs), counted.n, candidates, found)
    return Verdict(None, None, len(obs), counted.n, candidates, found)


class _Counted:
    def __init__(self, texts: Iterable[str]) -> None:
        self._texts = texts
        self.n = 0

    def __iter__(self) -> Iterator[str]:
        for t in self._texts:
            self.n += 1
            yield t


def _candidate(agreement: int, key: bytes, obs: list[Place]) -> Candidate:
    agreeing = sum(expected_bit(key, p) == p.bit for p in obs)
    return Candidate(agreement, len(obs), agreeing, binomial_tail(len(obs), agreeing))

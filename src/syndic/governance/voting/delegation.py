"""Liquid delegation: who carries a vote for a voter who did not vote directly.

A voter may delegate globally or per topic; for a question on a topic, their topic delegation
wins over their global one. Delegation is transitive: the vote travels along the chain to the
first voter who voted directly. A direct vote always overrides one's own delegation. A chain
that ends at someone who neither voted nor delegated, or that runs into a cycle, carries
nothing; cycles are reported, each once, starting from its smallest id (deterministic).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from syndic.errors import InvalidInput
from syndic.governance.voting.outcome import Delegated


@dataclass(frozen=True)
class Delegation:
    voter: str
    delegate: str
    topic: str | None = None  # None: every topic


def effective(delegations: Iterable[Delegation], topic: str | None) -> dict[str, str]:
    """voter -> delegate for a question on ``topic``; refuses self-delegation and duplicates."""
    specific: dict[str, str] = {}
    general: dict[str, str] = {}
    for d in delegations:
        if d.voter == d.delegate:
            raise InvalidInput(f"{d.voter} cannot delegate to themselves")
        if d.topic is not None and d.topic != topic:
            continue
        target = general if d.topic is None else specific
        if d.voter in target:
            scope = "globally" if d.topic is None else f"on {d.topic!r}"
            raise InvalidInput(f"{d.voter} delegates twice {scope}")
        target[d.voter] = d.delegate
    return {**general, **specific}


def resolve(
    voters: Iterable[str], delegates: Mapping[str, str], direct: Collection[str]
) -> tuple[dict[str, str], Delegated]:
    """For each voter without a direct vote, the direct voter who carries them, if any."""
    carrier_of: dict[str, str] = {}
    carried: dict[str, list[str]] = {}
    chains: dict[str, list[str]] = {}
    lost: dict[str, str] = {}
    cycles: set[tuple[str, ...]] = set()
    for voter in sorted(voters):
        if voter in direct or voter not in delegates:
            continue
        path = [voter]
        seen = {voter}
        node = delegates[voter]
        while True:
            if node in direct:
                carrier_of[voter] = node
                carried.setdefault(node, []).append(voter)
                chains[voter] = [*path, node]
                break
            if node in seen:
                loop = path[path.index(node) :]
                start = loop.index(min(loop))
                cycles.add(tuple(loop[start:] + loop[:start]))
                lost[voter] = f"delegation cycle through {node}"
                break
            if node not in delegates:
                lost[voter] = f"{node} neither voted nor delegated"
                break
            path.append(node)
            seen.add(node)
            node = delegates[node]
    report = Delegated(
        carried={k: sorted(v) for k, v in carried.items()},
        chains=chains,
        cycles=[list(c) for c in sorted(cycles)],
        lost=lost,
    )
    return carrier_of, report

"""Quadratic voting: each voter spends voice credits; n votes for an option cost n^2.

Casting many votes for one option gets expensive fast, so a voter's total expresses how
strongly they care without letting one voter buy the outcome. A delegated vote copies the
carrier's allocation, paid from the delegator's own credits, scaled down if they cannot
afford it (each option's votes times sqrt(budget / cost), rounded down: never over budget).
"""

from __future__ import annotations

from collections.abc import Mapping
from math import isqrt

from syndic.errors import CreditsExceeded, InvalidInput
from syndic.governance.voting.outcome import Delegated, Outcome, Question

Votes = Mapping[str, int]


def cost(votes: Votes) -> int:
    """Voice credits a ballot spends."""
    for option, n in votes.items():
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise InvalidInput(f"votes for {option!r} must be a whole number >= 0, got {n!r}")
    return sum(n * n for n in votes.values())


def check_budget(voter: str, votes: Votes, credits: int) -> int:
    """The ballot's cost; ``CreditsExceeded`` when it spends more than ``credits``."""
    spent = cost(votes)
    if spent > credits:
        raise CreditsExceeded(
            f"{voter} spends {spent} voice credits but has {credits} "
            f"(n votes cost n^2: {', '.join(f'{o} {n}' for o, n in votes.items() if n)})"
        )
    return spent


def scale_to(votes: Votes, credits: int) -> dict[str, int]:
    """``votes`` as is if affordable, else each scaled by sqrt(credits / cost), rounded down."""
    spent = cost(votes)
    if spent <= credits:
        return dict(votes)
    return {o: isqrt(n * n * credits // spent) for o, n in votes.items()}


def tally(
    ballots: Mapping[str, Votes],
    *,
    question: Question,
    credits: Mapping[str, int],
    carriers: Mapping[str, str] | None = None,
    delegation: Delegated | None = None,
) -> Outcome:
    """Sum votes per option; every voter who took part (directly or carried) is one head of
    turnout. Refuses a direct ballot that over-spends its voter's credits."""
    totals = dict.fromkeys(question.options, 0)
    counted: dict[str, dict[str, int]] = {}
    spent_total = 0
    for voter, votes in ballots.items():
        spent_total += check_budget(voter, votes, credits.get(voter, 0))
        counted[voter] = dict(votes)
    for voter, carrier in sorted((carriers or {}).items()):
        counted[voter] = scale_to(ballots[carrier], credits.get(voter, 0))
        spent_total += cost(counted[voter])
    for voter, votes in counted.items():
        for option, n in votes.items():
            if option not in totals:
                raise InvalidInput(f"{voter} votes for {option!r}, which is not an option")
            totals[option] += n
    return Outcome.decided(
        "quadratic",
        totals,
        question=question,
        turnout=len(counted),
        counted=counted,
        delegation=delegation,
        credits_spent=spent_total,
    )

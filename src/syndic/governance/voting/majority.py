"""One voter, one (weighted) vote: simple majority and supermajority, each with a quorum.

A ballot may give several votes to several options (the quadratic form); counted per head it
is a vote for its single strongest option, and a ballot with no votes or a tie at the top is
blank: it counts toward turnout and decides nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from syndic.errors import InvalidInput
from syndic.governance.voting.outcome import Delegated, Outcome, Question

Votes = Mapping[str, int]


def choice_of(votes: Votes) -> str | None:
    """The option a ballot backs when each voter counts once (None for a blank ballot)."""
    top = max(votes.values(), default=0)
    if top <= 0:
        return None
    best = [o for o, n in votes.items() if n == top]
    return best[0] if len(best) == 1 else None


def majority(
    ballots: Mapping[str, Votes],
    *,
    question: Question,
    weights: Mapping[str, int],
    carriers: Mapping[str, str] | None = None,
    delegation: Delegated | None = None,
    method: str = "majority",
) -> Outcome:
    """Tally ``ballots`` (voter -> votes) head by head, each voter with their weight.

    ``carriers`` (voter -> direct voter) adds the votes carried by delegation: the carried
    voter's weight goes to the carrier's choice.
    """
    totals = dict.fromkeys(question.options, 0)
    counted: dict[str, dict[str, int]] = {}
    turnout = 0
    voters = [(v, v) for v in ballots] + sorted((carriers or {}).items())
    for voter, source in voters:
        weight = weights.get(voter, 1)
        if weight < 0:
            raise InvalidInput(f"voter {voter} has a negative weight")
        turnout += weight
        choice = choice_of(ballots[source])
        if choice is not None:
            if choice not in totals:
                raise InvalidInput(f"{choice!r} is not one of the options")
            totals[choice] += weight
            counted[voter] = {choice: weight}
        else:
            counted[voter] = {}
    return Outcome.decided(
        method,
        totals,
        question=question,
        turnout=turnout,
        counted=counted,
        delegation=delegation,
    )


def supermajority(
    ballots: Mapping[str, Votes],
    *,
    question: Question,
    weights: Mapping[str, int],
    carriers: Mapping[str, str] | None = None,
    delegation: Delegated | None = None,
) -> Outcome:
    """A majority that must also reach the question's threshold (above 50%) of the decisive
    votes."""
    if question.threshold_bp <= 5000:
        raise InvalidInput("a supermajority needs a threshold above 50%")
    return majority(
        ballots,
        question=question,
        weights=weights,
        carriers=carriers,
        delegation=delegation,
        method="supermajority",
    )

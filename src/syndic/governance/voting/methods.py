"""The voting methods, by name: the one registry the charter, the ballot file, the service and
the CLI read.

Each method is a ``Method`` name and a ``VotingMethod`` entry saying how it counts a ``Count``
(the ballots and the question's parameters) and what it asks of a ballot. ``delegated`` is a
majority with the delegations always applied; it names a way to recount a ballot file, not a
rule a charter can choose (a charter turns ``delegation`` on instead).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from syndic.errors import InvalidInput
from syndic.governance.voting.majority import Votes, majority, supermajority
from syndic.governance.voting.outcome import Delegated, Outcome, Question
from syndic.governance.voting.quadratic import tally as quadratic_tally

# Defaults shared by the charter's rules and the ballot file (written once, here).
QUORUM_BP = 5000
THRESHOLD_BP = 5000  # a simple majority: more than half of the decisive votes
SUPERMAJORITY_BP = 6667  # two-thirds, the threshold a supermajority falls back on
VOICE_CREDITS = 100


class Method(StrEnum):
    MAJORITY = "majority"
    SUPERMAJORITY = "supermajority"
    QUADRATIC = "quadratic"
    DELEGATED = "delegated"


@dataclass(frozen=True)
class Count:
    """What any method counts: ballots (voter -> votes), the question and its electorate."""

    ballots: Mapping[str, Votes]
    options: Sequence[str]
    weights: Mapping[str, int]  # voter -> weight (per-head methods)
    credits: Mapping[str, int]  # voter -> voice credits (quadratic)
    electorate: int
    quorum_bp: int
    threshold_bp: int
    status_quo: str | None
    carriers: Mapping[str, str] = field(default_factory=dict)
    delegation: Delegated | None = None

    def question(self, threshold_bp: int) -> Question:
        """The question as put, decided at ``threshold_bp``."""
        return Question(
            tuple(self.options), self.electorate, self.quorum_bp, threshold_bp, self.status_quo
        )


@dataclass(frozen=True)
class VotingMethod:
    name: Method
    count: Callable[[Count], Outcome]
    spends_credits: bool = False  # a ballot spends voice credits (n votes cost n^2)
    always_delegates: bool = False  # delegations apply whatever the question says
    chartered: bool = True  # a charter's rule may name it

    def per_head(self) -> bool:
        """One person, one vote: a ballot is exactly one vote for one option."""
        return not self.spends_credits


def _per_head(c: Count, method: Method) -> Outcome:
    threshold = c.threshold_bp
    if method is Method.SUPERMAJORITY and threshold <= THRESHOLD_BP:
        threshold = SUPERMAJORITY_BP  # a file written for a simple majority
    count = supermajority if method is Method.SUPERMAJORITY else majority
    outcome = count(
        c.ballots,
        question=c.question(threshold),
        weights=c.weights,
        carriers=c.carriers,
        delegation=c.delegation,
    )
    return outcome if outcome.method == method.value else replace(outcome, method=method.value)


def _quadratic(c: Count) -> Outcome:
    return quadratic_tally(
        c.ballots,
        question=c.question(c.threshold_bp),
        credits=c.credits,
        carriers=c.carriers,
        delegation=c.delegation,
    )


METHODS: dict[Method, VotingMethod] = {
    Method.MAJORITY: VotingMethod(Method.MAJORITY, lambda c: _per_head(c, Method.MAJORITY)),
    Method.SUPERMAJORITY: VotingMethod(
        Method.SUPERMAJORITY, lambda c: _per_head(c, Method.SUPERMAJORITY)
    ),
    Method.QUADRATIC: VotingMethod(Method.QUADRATIC, _quadratic, spends_credits=True),
    Method.DELEGATED: VotingMethod(
        Method.DELEGATED,
        lambda c: _per_head(c, Method.DELEGATED),
        always_delegates=True,
        chartered=False,
    ),
}

NAMES: tuple[str, ...] = tuple(m.value for m in METHODS)
CHARTERED: tuple[str, ...] = tuple(m.value for m, spec in METHODS.items() if spec.chartered)


def voting_method(name: str | None) -> VotingMethod:
    """The method called ``name``; ``InvalidInput`` naming the known ones otherwise."""
    if name is None:
        raise InvalidInput(f"name a voting method: {', '.join(NAMES)}")
    try:
        return METHODS[Method(name)]
    except ValueError:
        raise InvalidInput(
            f"unknown voting method {name!r}; use one of {', '.join(NAMES)}"
        ) from None

"""Stopping rules for Monte-Carlo estimators. Combine with ``&`` and ``|``.

``MaxUpdates(500) | StderrBelow(0.01)`` stops at 500 sampling rounds or when every standard
error is below 0.01, whichever comes first. A rule must contain a budget: a combination that
could run forever (``StderrBelow`` alone, or ``&`` of two convergence rules) is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from syndic.errors import ValuationError
from syndic.valuation.result import FloatArray


@dataclass(frozen=True)
class Progress:
    """What a rule may look at after each round of sampling."""

    updates: int
    values: FloatArray
    stderr: FloatArray


class StoppingRule:
    def done(self, p: Progress) -> bool:
        raise NotImplementedError

    def converged(self, p: Progress) -> bool:
        """True when the rule is met because estimates settled (not because a budget ran out)."""
        return False

    def bounded(self) -> bool:
        """Whether this rule is guaranteed to stop."""
        return False

    def __and__(self, other: StoppingRule) -> StoppingRule:
        return AllOf(self, other)

    def __or__(self, other: StoppingRule) -> StoppingRule:
        return AnyOf(self, other)


@dataclass(frozen=True)
class MaxUpdates(StoppingRule):
    """Stop after ``n`` sampling rounds (permutations, subsets)."""

    n: int

    def __post_init__(self) -> None:
        if isinstance(self.n, bool) or not isinstance(self.n, int) or self.n < 1:
            raise ValuationError(f"MaxUpdates needs a positive integer, got {self.n!r}")

    def done(self, p: Progress) -> bool:
        return p.updates >= self.n

    def bounded(self) -> bool:
        return True


@dataclass(frozen=True)
class StderrBelow(StoppingRule):
    """Stop when the running standard error of at least ``fraction`` of the players is at or
    below ``threshold`` (absolute, in utility units), after ``min_updates`` rounds."""

    threshold: float
    fraction: float = 1.0
    min_updates: int = 10

    def __post_init__(self) -> None:
        if not self.threshold > 0:
            raise ValuationError(f"StderrBelow needs a positive threshold, got {self.threshold}")
        if not 0 < self.fraction <= 1:
            raise ValuationError(f"fraction must be in (0, 1], got {self.fraction}")

    def done(self, p: Progress) -> bool:
        if p.updates < self.min_updates or p.stderr.size == 0:
            return False
        return bool(np.mean(p.stderr <= self.threshold) >= self.fraction)

    def converged(self, p: Progress) -> bool:
        return self.done(p)


@dataclass(frozen=True)
class AllOf(StoppingRule):
    first: StoppingRule
    second: StoppingRule

    def done(self, p: Progress) -> bool:
        return self.first.done(p) and self.second.done(p)

    def converged(self, p: Progress) -> bool:
        return self.first.converged(p) and self.second.converged(p)

    def bounded(self) -> bool:
        return self.first.bounded() and self.second.bounded()


@dataclass(frozen=True)
class AnyOf(StoppingRule):
    first: StoppingRule
    second: StoppingRule

    def done(self, p: Progress) -> bool:
        return self.first.done(p) or self.second.done(p)

    def converged(self, p: Progress) -> bool:
        return self.first.converged(p) or self.second.converged(p)

    def bounded(self) -> bool:
        return self.first.bounded() or self.second.bounded()


def require_bounded(rule: StoppingRule) -> StoppingRule:
    if not isinstance(rule, StoppingRule):
        raise ValuationError(f"stop must be a StoppingRule, got {type(rule).__name__}")
    if not rule.bounded():
        raise ValuationError(
            "the stopping rule could run forever; combine it with a budget, e.g. "
            "StderrBelow(0.01) | MaxUpdates(1000)"
        )
    return rule


def budget_left(rule: StoppingRule, updates: int) -> int | None:
    """How many more rounds the rule's budget allows at most (None when it has none)."""
    if isinstance(rule, MaxUpdates):
        return max(0, rule.n - updates)
    if isinstance(rule, AnyOf | AllOf):
        a, b = budget_left(rule.first, updates), budget_left(rule.second, updates)
        if a is None or b is None:
            return (a if b is None else b) if isinstance(rule, AnyOf) else None
        return min(a, b) if isinstance(rule, AnyOf) else max(a, b)
    return None

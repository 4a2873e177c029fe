"""What every method returns, and the one rule that turns totals into a decision."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

# The options of every question Syndic puts to its members; ``no`` is the status quo.
Choice = Literal["yes", "no", "abstain"]
OPTIONS: tuple[Choice, ...] = get_args(Choice)
STATUS_QUO: Choice = "no"
ABSTAIN: Choice = "abstain"


@dataclass(frozen=True)
class Question:
    """What is put to the vote and how it is decided: the options, the size of the electorate,
    the quorum and threshold (basis points), and the option that stands when none carries."""

    options: tuple[str, ...]
    electorate: int
    quorum_bp: int
    threshold_bp: int = 5000
    status_quo: str | None = None


@dataclass(frozen=True)
class Decision:
    winner: str | None
    passed: bool
    quorum_met: bool
    reason: str


def decide(
    totals: Mapping[str, int],
    *,
    turnout: int,
    electorate: int,
    quorum_bp: int,
    threshold_bp: int,
    status_quo: str | None,
) -> Decision:
    """An option carries when turnout meets the quorum and it has the most decisive votes,
    more than half of them, and a share of them that, rounded to the nearest basis point
    (half up), reaches ``threshold_bp``: so 6667 is two-thirds, which 2 votes of 3 reach.
    Otherwise the status quo (if the question has one) stands. Integer arithmetic only.

    Decisive votes are every vote except those for ``abstain``.
    """
    quorum_met = electorate > 0 and turnout * 10_000 >= quorum_bp * electorate

    def stands(why: str, met: bool = True) -> Decision:
        prefix = "status quo stands: " if status_quo is not None else "no winner: "
        return Decision(status_quo, False, met, prefix + why)

    decisive = {o: n for o, n in totals.items() if o != ABSTAIN}
    total = sum(decisive.values())
    if not quorum_met:
        return stands(
            f"turnout {turnout} of {electorate} is below the {quorum_bp / 100:g}% quorum", False
        )
    if total == 0:
        return stands("no decisive votes")
    top = max(decisive.values())
    leaders = sorted(o for o, n in decisive.items() if n == top)
    if len(leaders) > 1:
        return stands(f"tie between {', '.join(leaders)}")
    leader = leaders[0]
    share_bp = (2 * top * 10_000 + total) // (2 * total)  # rounded half up
    share = f"{share_bp / 100:.2f}%"
    if 2 * top <= total:
        return stands(f"{leader} has {share} of decisive votes, not more than half")
    if share_bp < threshold_bp:
        return stands(
            f"{leader} has {share} of decisive votes, below the {threshold_bp / 100:.2f}% threshold"
        )
    return Decision(leader, True, True, f"{leader} carries with {share} of decisive votes")


@dataclass(frozen=True)
class Delegated:
    """Who carried whose vote, and which delegations led nowhere."""

    carried: dict[str, list[str]] = field(default_factory=dict)  # carrier -> voters carried
    chains: dict[str, list[str]] = field(default_factory=dict)  # voter -> path to the carrier
    cycles: list[list[str]] = field(default_factory=list)
    lost: dict[str, str] = field(default_factory=dict)  # voter -> why nobody carried them

    def to_dict(self) -> dict[str, Any]:
        return {
            "carried": {k: list(v) for k, v in sorted(self.carried.items())},
            "chains": {k: list(v) for k, v in sorted(self.chains.items())},
            "cycles": [list(c) for c in self.cycles],
            "lost": dict(sorted(self.lost.items())),
        }


@dataclass(frozen=True)
class Outcome:
    method: str
    options: tuple[str, ...]
    totals: dict[str, int]
    winner: str | None
    passed: bool
    reason: str
    electorate: int
    turnout: int
    quorum_bp: int
    quorum_met: bool
    threshold_bp: int
    delegation: Delegated | None = None
    credits_spent: int | None = None
    counted: dict[str, dict[str, int]] = field(default_factory=dict)  # voter -> votes counted

    @classmethod
    def decided(
        cls,
        method: str,
        totals: dict[str, int],
        *,
        question: Question,
        turnout: int,
        counted: dict[str, dict[str, int]],
        delegation: Delegated | None = None,
        credits_spent: int | None = None,
    ) -> Outcome:
        """The outcome of ``totals`` under the one decision rule (``decide``)."""
        q = question
        d = decide(
            totals,
            turnout=turnout,
            electorate=q.electorate,
            quorum_bp=q.quorum_bp,
            threshold_bp=q.threshold_bp,
            status_quo=q.status_quo,
        )
        return cls(
            method=method,
            options=q.options,
            totals=totals,
            winner=d.winner,
            passed=d.passed,
            reason=d.reason,
            electorate=q.electorate,
            turnout=turnout,
            quorum_bp=q.quorum_bp,
            quorum_met=d.quorum_met,
            threshold_bp=q.threshold_bp,
            delegation=delegation,
            credits_spent=credits_spent,
            counted=counted,
        )

    def to_dict(self, *, with_ballots: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "method": self.method,
            "options": list(self.options),
            "totals": dict(self.totals),
            "winner": self.winner,
            "passed": self.passed,
            "reason": self.reason,
            "electorate": self.electorate,
            "turnout": self.turnout,
            "quorum_bp": self.quorum_bp,
            "quorum_met": self.quorum_met,
            "threshold_bp": self.threshold_bp,
        }
        if self.credits_spent is not None:
            out["credits_spent"] = self.credits_spent
        if self.delegation is not None:
            out["delegation"] = self.delegation.to_dict()
        if with_ballots:
            out["counted"] = {k: dict(v) for k, v in sorted(self.counted.items())}
        return out

"""What a vote decided, as one frozen value: the rule it was held under and its result.

The rule frozen into a proposal when its vote opened (``FrozenRule``) and the result of a
closed vote (``VoteResult``) are read here and nowhere else: whether a vote approved its
question, who consented, and, for a deal, the rules signing applies (binding, the very large
platform threshold, the open licence)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ConfigDict

from syndic.errors import Conflict
from syndic.governance.charter import Binding, VoteRule
from syndic.governance.models import Proposal, ProposalKind
from syndic.governance.voting.methods import METHODS, VotingMethod

APPROVE = "yes"
HIDDEN = ("consenting", "delegation")  # who voted how, and whose vote whose delegate carried


class FrozenRule(VoteRule):
    """The charter's rule as frozen into a proposal when its vote opened, with the question's
    options and credits; a deal vote also freezes what signing it depends on."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    options: tuple[str, ...]
    status_quo: str | None
    voice_credits: int
    credit_period_days: int
    unspent_credits: Literal["expire", "carry-over"]
    period: int
    binding: Binding | None = None
    vlop_mau_threshold: int | None = None
    open_licence: str | None = None

    @classmethod
    def of(cls, p: Proposal) -> FrozenRule:
        return cls.model_validate(p.rule)

    @property
    def voting(self) -> VotingMethod:
        return METHODS[self.method]


def approves(outcome: Mapping[str, Any]) -> bool:
    """A vote approves its question when it passed and ``yes`` won."""
    return bool(outcome["passed"]) and outcome["winner"] == APPROVE


def hidden(outcome: Mapping[str, Any]) -> dict[str, Any]:
    """A secret vote's outcome as members and the log see it: the totals only."""
    return {k: v for k, v in outcome.items() if k not in HIDDEN}


@dataclass(frozen=True)
class VoteResult:
    """A closed vote: what it decided, under which rule, and who consented."""

    proposal: int
    kind: ProposalKind
    subject_id: int | None
    charter_version: int
    rule: FrozenRule
    approved: bool
    consenting: tuple[int, ...]
    outcome: Mapping[str, Any]  # as stored with the proposal

    @classmethod
    def of(cls, p: Proposal) -> VoteResult:
        if p.outcome is None:
            raise Conflict(f"the vote on proposal {p.id} has not closed yet")
        return cls(
            proposal=p.id,
            kind=ProposalKind(p.kind),
            subject_id=p.subject_id,
            charter_version=p.charter_version,
            rule=FrozenRule.of(p),
            approved=approves(p.outcome),
            consenting=tuple(p.outcome.get("consenting", ())),
            outcome=p.outcome,
        )

    @property
    def method(self) -> str:
        return str(self.outcome["method"])

    @property
    def totals(self) -> dict[str, int]:
        return dict(self.outcome["totals"])

    @property
    def binding(self) -> Binding:
        """Whom an approved deal binds (frozen when its vote opened)."""
        if self.rule.binding is None:
            raise Conflict(f"proposal {self.proposal} is not a deal vote")
        return self.rule.binding

    def bound_members(self) -> tuple[int, ...] | None:
        """Under an opt-in charter, the members who consented; None binds everyone."""
        return self.consenting if self.binding is Binding.OPT_IN else None

    def summary(self) -> dict[str, Any]:
        """The vote as a deal records it: the outcome without who voted how."""
        return {
            **hidden(self.outcome),
            "proposal": self.proposal,
            "approved": self.approved,
            "charter_version": self.charter_version,
        }

    def record(self) -> dict[str, Any]:
        """The vote as a signed agreement names it."""
        return {
            "charter_version": self.charter_version,
            "binding": self.binding.value,
            "proposal": self.proposal,
            "method": self.method,
            "totals": self.totals,
            "turnout": self.outcome["turnout"],
            "electorate": self.outcome["electorate"],
        }

"""Serialisable views of proposals, ballots, delegations and charter versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from syndic.governance.models import GLOBAL_TOPIC, CharterVersion, DelegationRow, Proposal
from syndic.governance.results import FrozenRule, hidden


class ProposalView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    kind: str
    subject_id: int | None
    topic: str
    question: dict[str, Any]
    rule: dict[str, Any]
    charter_version: int
    proposed_by: str
    opened_at: datetime
    closes_at: datetime
    status: str
    outcome: dict[str, Any] | None

    @classmethod
    def of(cls, p: Proposal) -> ProposalView:
        return cls(
            id=p.id,
            kind=p.kind,
            subject_id=p.subject_id,
            topic=p.topic,
            question=p.question,
            rule=p.rule,
            charter_version=p.charter_version,
            proposed_by=p.proposed_by,
            opened_at=p.opened_at,
            closes_at=p.closes_at,
            status=p.status,
            outcome=p.outcome,
        )

    def frozen_rule(self) -> FrozenRule:
        """The rule the vote was held under, read the one way (``governance.results``)."""
        return FrozenRule.model_validate(self.rule)

    def for_members(self) -> ProposalView:
        """What members see: under a secret rule, the totals but not who voted how
        (``consenting``) or whose vote whose delegate carried (``delegation``)."""
        if not self.frozen_rule().secret or self.outcome is None:
            return self
        return self.model_copy(update={"outcome": hidden(self.outcome)})


class BallotReceipt(BaseModel):
    """What a voter keeps: the commitment logged for their ballot and the salt that opens it."""

    model_config = ConfigDict(frozen=True)

    proposal_id: int
    member_id: int
    votes: dict[str, int]
    credits_spent: int
    commitment: str
    salt: str
    # how the ballot is named in the published ballot file: the member id, or for a secret
    # vote a pseudonym only this receipt's holder can recognise (see ``ballot_pseudonym``)
    published_as: str
    log_index: int


class DelegationView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    member_id: int
    delegate_id: int
    topic: str | None
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, d: DelegationRow) -> DelegationView:
        return cls(
            id=d.id,
            member_id=d.member_id,
            delegate_id=d.delegate_id,
            topic=None if d.topic == GLOBAL_TOPIC else d.topic,
            created_at=d.created_at,
            revoked_at=d.revoked_at,
        )


class CharterVersionView(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: int
    document: dict[str, Any]
    adopted_at: datetime
    proposal_id: int | None
    log_index: int

    @classmethod
    def of(cls, c: CharterVersion) -> CharterVersionView:
        return cls(
            version=c.version,
            document=c.document,
            adopted_at=c.adopted_at,
            proposal_id=c.proposal_id,
            log_index=c.log_index,
        )

"""The charter, proposals and ballots, delegation and voice credits."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from syndic.api.bounds import BodyId, Count, PathId
from syndic.api.deps import GuardedRoute, Steward, SyndicDep, allow, optional_key
from syndic.auth.models import Principal, Role
from syndic.governance.views import (
    BallotReceipt,
    CharterVersionView,
    DelegationView,
    ProposalView,
)
from syndic.governance.voting.outcome import Choice

router = APIRouter(tags=["governance"], route_class=GuardedRoute)


class AmendmentIn(BaseModel):
    changes: dict[str, Any] = Field(description="the charter fields to change, and their values")


class BallotIn(BaseModel):
    choice: Choice | None = None
    votes: dict[str, Count] | None = None


class CloseIn(BaseModel):
    early: bool = False


class DelegationIn(BaseModel):
    delegate_id: BodyId
    topic: Literal["deals", "charter"] | None = None


_ONLY_MEMBERS = "only members vote and delegate"
Voter = Annotated[Principal, allow(Role.MEMBER, message=_ONLY_MEMBERS)]
Reader = Annotated[Principal, allow(Role.STEWARD, Role.MEMBER)]


def _member(caller: Principal) -> int:
    assert caller.subject_id is not None
    return caller.subject_id


@router.get("/v1/charter")
def charter(syndic: SyndicDep) -> dict[str, Any]:
    """The charter in force (public: anyone may read the rules)."""
    return syndic.governance.charter().document()


@router.get("/v1/charter/versions")
def charter_versions(syndic: SyndicDep) -> list[CharterVersionView]:
    return syndic.governance.charter_history()


@router.post("/v1/charter", status_code=201)
def found_charter(body: dict[str, Any], syndic: SyndicDep, caller: Steward) -> dict[str, Any]:
    """Adopt the founding charter; every later change is an amendment put to a vote."""
    return syndic.governance.found(body, actor=caller.actor).document()


@router.post("/v1/proposals", status_code=201)
def propose(body: AmendmentIn, syndic: SyndicDep, caller: Reader) -> ProposalView:
    """Propose a charter amendment (who may is the charter's to say)."""
    member = caller.subject_id if caller.role is Role.MEMBER else None
    return syndic.governance.propose_amendment(body.changes, member_id=member, actor=caller.actor)


def _seen_by(caller: Principal, p: ProposalView) -> ProposalView:
    """The steward sees a secret vote's full outcome; a member its totals only."""
    return p if caller.role is Role.STEWARD else p.for_members()


@router.get("/v1/proposals")
def proposals(syndic: SyndicDep, caller: Reader, status: str | None = None) -> list[ProposalView]:
    return [_seen_by(caller, p) for p in syndic.governance.list_proposals(status=status)]


@router.get("/v1/proposals/{proposal_id}")
def proposal(proposal_id: PathId, syndic: SyndicDep, caller: Reader) -> ProposalView:
    return _seen_by(caller, syndic.governance.get(proposal_id))


@router.post("/v1/proposals/{proposal_id}/ballots", status_code=201)
def ballot(proposal_id: PathId, body: BallotIn, syndic: SyndicDep, caller: Voter) -> BallotReceipt:
    """A member's own ballot; the receipt's salt opens the commitment in the log."""
    return syndic.governance.cast(
        proposal_id,
        member_id=_member(caller),
        choice=body.choice,
        votes=body.votes,
        actor=caller.actor,
    )


@router.post("/v1/proposals/{proposal_id}/close")
def close(proposal_id: PathId, body: CloseIn, syndic: SyndicDep, caller: Steward) -> ProposalView:
    return syndic.governance.close(proposal_id, force=body.early, actor=caller.actor)


@router.get("/v1/proposals/{proposal_id}/ballot-file")
def ballot_file(
    proposal_id: PathId, syndic: SyndicDep, caller: Annotated[Principal | None, optional_key()]
) -> dict[str, Any]:
    """The ballot file of a closed vote, for anyone (no key needed): `syndic vote tally`
    recomputes the result, and its SHA-256 is in the log's `vote.closed`. For a secret vote
    voters appear under pseudonyms (each finds theirs by the `published_as` of their receipt);
    with the steward's key, the file exactly as tallied."""
    steward = caller is not None and caller.role is Role.STEWARD
    return syndic.governance.ballot_file(proposal_id, published=not steward)


@router.get("/v1/delegations")
def delegations(
    syndic: SyndicDep,
    caller: Annotated[Principal, allow(Role.STEWARD, Role.MEMBER, message=_ONLY_MEMBERS)],
) -> list[DelegationView]:
    """A member's own delegations; the steward sees all."""
    if caller.role is Role.STEWARD:
        return syndic.governance.delegations()
    return syndic.governance.delegations(member_id=_member(caller))


@router.put("/v1/delegations")
def delegate(body: DelegationIn, syndic: SyndicDep, caller: Voter) -> DelegationView:
    """Let another member carry one's vote (on a topic, or on every topic)."""
    return syndic.governance.delegate(
        _member(caller), body.delegate_id, topic=body.topic, actor=caller.actor
    )


@router.delete("/v1/delegations")
def revoke(
    syndic: SyndicDep, caller: Voter, topic: Literal["deals", "charter"] | None = None
) -> DelegationView:
    return syndic.governance.revoke_delegation(_member(caller), topic=topic, actor=caller.actor)


@router.get("/v1/voice-credits")
def voice_credits(syndic: SyndicDep, caller: Voter) -> dict[str, int]:
    member = _member(caller)
    return {"member": member, "credits": syndic.governance.credits(member)}

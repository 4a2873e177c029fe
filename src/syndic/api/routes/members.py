"""Members and works. A member key sees only that member's records."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from syndic.api.bounds import BodyId, Limit, Minor, Offset, PathId, ShareBp
from syndic.api.deps import GuardedRoute, Steward, SyndicDep, allow
from syndic.api.openapi import media
from syndic.auth.models import Principal, Role
from syndic.members.views import MemberView, WorkView
from syndic.payouts.service import StatementView

router = APIRouter(tags=["members"], route_class=GuardedRoute)

OwnMember = Annotated[Principal, allow(Role.STEWARD, own="member")]
WorkHolder = Annotated[Principal, allow(Role.STEWARD, own="work")]


class JoinIn(BaseModel):
    handle: str
    name: str = ""
    payout_account: str
    prohibited_usages: list[str] = Field(default_factory=list)
    floor_price_minor: Minor = 0
    allow_vlop: bool = True
    email: str | None = None


class MandateIn(BaseModel):
    """The parts of the mandate to change; the ones left out stay as they are."""

    prohibited_usages: list[str] | None = Field(default=None, max_length=16)
    floor_price_minor: Minor | None = None
    allow_vlop: bool | None = None


@router.get("/v1/members")
def list_members(
    syndic: SyndicDep, _caller: Steward, limit: Limit = 1000, offset: Offset = 0
) -> list[MemberView]:
    return syndic.members.list_members(limit=limit, offset=offset)


@router.post("/v1/members", status_code=201)
def join(body: JoinIn, syndic: SyndicDep, caller: Steward) -> MemberView:
    return syndic.members.join(**body.model_dump(), actor=caller.actor)


@router.get("/v1/members/{member_id}")
def get_member(member_id: PathId, syndic: SyndicDep, _caller: OwnMember) -> MemberView:
    return syndic.members.get(member_id)


@router.post("/v1/members/{member_id}/leave")
def leave(member_id: PathId, syndic: SyndicDep, caller: OwnMember) -> MemberView:
    """The member leaves (themselves, or the steward records it): their works leave future
    deals; signed agreements stand."""
    return syndic.members.leave(member_id, actor=caller.actor)


@router.post("/v1/members/{member_id}/rejoin")
def rejoin(member_id: PathId, syndic: SyndicDep, caller: Steward) -> MemberView:
    """A member who left comes back (the steward admits them again)."""
    return syndic.members.rejoin(member_id, actor=caller.actor)


@router.put("/v1/members/{member_id}/mandate")
def change_mandate(
    member_id: PathId, body: MandateIn, syndic: SyndicDep, caller: OwnMember
) -> MemberView:
    """The member (or the steward) changes the mandate; logged, it binds deals signed from
    now on."""
    return syndic.members.change_mandate(member_id, **body.model_dump(), actor=caller.actor)


@router.get("/v1/members/{member_id}/works")
def member_works(
    member_id: PathId, syndic: SyndicDep, _caller: OwnMember, limit: Limit = 100, offset: Offset = 0
) -> list[WorkView]:
    return syndic.members.list_works(member_id=member_id, limit=limit, offset=offset)


@router.get("/v1/members/{member_id}/near-copies")
def member_near_copies(
    member_id: PathId, syndic: SyndicDep, _caller: OwnMember, limit: Limit = 100, offset: Offset = 0
) -> list[dict[str, Any]]:
    """Near copies found at registration where the member holds the copy or the original."""
    return syndic.members.near_copies(member_id=member_id, limit=limit, offset=offset)


@router.get("/v1/near-copies")
def near_copies(
    syndic: SyndicDep,
    _caller: Steward,
    candidates: bool = False,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    """Works registered as near copies of earlier works, newest first (``candidates``: only
    the dispute candidates no dispute was opened on yet)."""
    return syndic.members.near_copies(candidates_only=candidates, limit=limit, offset=offset)


@router.get("/v1/members/{member_id}/statements")
def member_statements(
    member_id: PathId, syndic: SyndicDep, _caller: OwnMember
) -> list[StatementView]:
    return syndic.payouts.statements(member_id=member_id)


@router.get("/v1/works/{work_id}")
def get_work(work_id: PathId, syndic: SyndicDep, _caller: WorkHolder) -> WorkView:
    return syndic.members.get_work(work_id)


@router.get("/v1/works/{work_id}/receipt", **media("application/json"))
def work_receipt(work_id: PathId, syndic: SyndicDep, _caller: WorkHolder) -> Response:
    """The registration receipt: entry, inclusion proof and signed checkpoint (canonical JSON)."""
    w = syndic.members.get_work(work_id)
    return Response(syndic.provenance.receipt(w.log_index).to_json(), media_type="application/json")


class DisputeIn(BaseModel):
    reason: str


class ResolveIn(BaseModel):
    holders: list[tuple[BodyId, ShareBp]] | None = Field(
        default=None, description="[member_id, share_bp] pairs as settled; omit to keep them"
    )


class WithdrawIn(BaseModel):
    reason: str = ""


@router.post("/v1/works/{work_id}/withdraw")
def withdraw_work(
    work_id: PathId, body: WithdrawIn, syndic: SyndicDep, caller: WorkHolder
) -> WorkView:
    """The steward or a holder of the work takes it out of future deals."""
    return syndic.members.withdraw_work(work_id, reason=body.reason, actor=caller.actor)


@router.post("/v1/works/{work_id}/dispute")
def dispute_work(work_id: PathId, body: DisputeIn, syndic: SyndicDep, caller: Steward) -> WorkView:
    """A disputed work is held out of new deals until the dispute is resolved."""
    return syndic.members.dispute_work(work_id, reason=body.reason, actor=caller.actor)


@router.post("/v1/works/{work_id}/resolve")
def resolve_dispute(
    work_id: PathId, body: ResolveIn, syndic: SyndicDep, caller: Steward
) -> WorkView:
    return syndic.members.resolve_dispute(work_id, holders=body.holders, actor=caller.actor)


@router.get("/v1/report")
def report(syndic: SyndicDep, _caller: Steward) -> dict[str, Any]:
    return syndic.report()

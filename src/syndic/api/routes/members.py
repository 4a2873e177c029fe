"""Members and works. A member key sees only that member's records."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from syndic.api.deps import Caller, SyndicDep, require, require_self_or_steward
from syndic.app import Syndic
from syndic.auth.service import Principal, Role
from syndic.errors import Forbidden
from syndic.members.views import MemberView, WorkView
from syndic.payouts.service import StatementView

router = APIRouter(tags=["members"])


class JoinIn(BaseModel):
    handle: str
    name: str = ""
    payout_account: str
    prohibited_usages: list[str] = Field(default_factory=list)
    floor_price_minor: int = 0
    allow_vlop: bool = True


@router.get("/v1/members")
def list_members(
    syndic: SyndicDep, caller: Caller, limit: int = 1000, offset: int = 0
) -> list[MemberView]:
    require(caller, Role.STEWARD)
    return syndic.members.list_members(limit=limit, offset=offset)


@router.post("/v1/members", status_code=201)
def join(body: JoinIn, syndic: SyndicDep, caller: Caller) -> MemberView:
    require(caller, Role.STEWARD)
    return syndic.members.join(**body.model_dump(), actor=caller.actor)


@router.get("/v1/members/{member_id}")
def get_member(member_id: int, syndic: SyndicDep, caller: Caller) -> MemberView:
    require_self_or_steward(caller, Role.MEMBER, member_id)
    return syndic.members.get(member_id)


@router.get("/v1/members/{member_id}/works")
def member_works(
    member_id: int, syndic: SyndicDep, caller: Caller, limit: int = 100, offset: int = 0
) -> list[WorkView]:
    require_self_or_steward(caller, Role.MEMBER, member_id)
    return syndic.members.list_works(member_id=member_id, limit=min(limit, 1000), offset=offset)


@router.get("/v1/members/{member_id}/statements")
def member_statements(member_id: int, syndic: SyndicDep, caller: Caller) -> list[StatementView]:
    require_self_or_steward(caller, Role.MEMBER, member_id)
    return syndic.payouts.statements(member_id=member_id)


def _readable_work(syndic: Syndic, caller: Principal, work_id: int) -> WorkView:
    w = syndic.members.get_work(work_id)
    if caller.role is not Role.STEWARD:
        require(caller, Role.MEMBER)
        if caller.subject_id not in {h.member_id for h in w.holders}:
            raise Forbidden("a member key may only read works that member holds")
    return w


@router.get("/v1/works/{work_id}")
def get_work(work_id: int, syndic: SyndicDep, caller: Caller) -> WorkView:
    return _readable_work(syndic, caller, work_id)


@router.get("/v1/works/{work_id}/receipt")
def work_receipt(work_id: int, syndic: SyndicDep, caller: Caller) -> Response:
    """The registration receipt: entry, inclusion proof and signed checkpoint (canonical JSON)."""
    w = _readable_work(syndic, caller, work_id)
    return Response(syndic.provenance.receipt(w.log_index).to_json(), media_type="application/json")


class DisputeIn(BaseModel):
    reason: str


class ResolveIn(BaseModel):
    holders: list[tuple[int, int]] | None = Field(
        default=None, description="[member_id, share_bp] pairs as settled; omit to keep them"
    )


class WithdrawIn(BaseModel):
    reason: str = ""


@router.post("/v1/works/{work_id}/withdraw")
def withdraw_work(work_id: int, body: WithdrawIn, syndic: SyndicDep, caller: Caller) -> WorkView:
    """The steward or a holder of the work takes it out of future deals."""
    _readable_work(syndic, caller, work_id)
    return syndic.members.withdraw_work(work_id, reason=body.reason, actor=caller.actor)


@router.post("/v1/works/{work_id}/dispute")
def dispute_work(work_id: int, body: DisputeIn, syndic: SyndicDep, caller: Caller) -> WorkView:
    """A disputed work is held out of new deals until the dispute is resolved."""
    require(caller, Role.STEWARD)
    return syndic.members.dispute_work(work_id, reason=body.reason, actor=caller.actor)


@router.post("/v1/works/{work_id}/resolve")
def resolve_dispute(work_id: int, body: ResolveIn, syndic: SyndicDep, caller: Caller) -> WorkView:
    require(caller, Role.STEWARD)
    return syndic.members.resolve_dispute(work_id, holders=body.holders, actor=caller.actor)


@router.get("/v1/report")
def report(syndic: SyndicDep, caller: Caller) -> dict[str, Any]:
    require(caller, Role.STEWARD)
    return syndic.report()

"""Valuation runs and values. A steward sees everything; a member key sees only its own value
(and its own chart)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from syndic.api.deps import Caller, SyndicDep, require, require_self_or_steward
from syndic.auth.service import Role
from syndic.valuation.views import MemberValueView, RunView, WorkValueView

router = APIRouter(tags=["valuation"])


@router.get("/v1/valuation/runs")
def list_runs(s: SyndicDep, caller: Caller) -> list[RunView]:
    require(caller, Role.STEWARD)
    return s.valuation.list_runs()


@router.get("/v1/valuation/runs/{run_id}")
def get_run(run_id: int, s: SyndicDep, caller: Caller) -> RunView:
    require(caller, Role.STEWARD)
    return s.valuation.show(run_id)


@router.get("/v1/valuation/runs/{run_id}/members")
def run_members(run_id: int, s: SyndicDep, caller: Caller) -> list[MemberValueView]:
    require(caller, Role.STEWARD)
    return s.valuation.member_values(run_id)


@router.get("/v1/valuation/runs/{run_id}/works")
def run_works(run_id: int, s: SyndicDep, caller: Caller) -> list[WorkValueView]:
    require(caller, Role.STEWARD)
    return s.valuation.work_values(run_id)


@router.get("/v1/valuation/members/{member_id}")
def member_value(
    member_id: int, s: SyndicDep, caller: Caller, run: int | None = None
) -> MemberValueView:
    """One member's value and why, in the given run (default: the latest)."""
    require_self_or_steward(caller, Role.MEMBER, member_id)
    return s.valuation.member_value(member_id, run)


@router.get("/v1/valuation/members/{member_id}/chart.svg")
def member_chart(member_id: int, s: SyndicDep, caller: Caller, run: int | None = None) -> Response:
    require_self_or_steward(caller, Role.MEMBER, member_id)
    return Response(s.valuation.chart(member_id, run, fmt="svg"), media_type="image/svg+xml")

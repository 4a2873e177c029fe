"""Valuation runs and values. A steward sees everything; a member key sees only its own value
(and its own chart)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from syndic.api.bounds import PathId, QueryId
from syndic.api.deps import GuardedRoute, Steward, SyndicDep, allow
from syndic.api.openapi import media
from syndic.auth.models import Principal, Role
from syndic.valuation.views import MemberValueView, RunView, WorkValueView

router = APIRouter(tags=["valuation"], route_class=GuardedRoute)

StewardOrSelf = Annotated[Principal, allow(Role.STEWARD, own="member")]


@router.get("/v1/valuation/runs")
def list_runs(syndic: SyndicDep, _caller: Steward) -> list[RunView]:
    return syndic.valuation.list_runs()


@router.get("/v1/valuation/runs/{run_id}")
def get_run(run_id: PathId, syndic: SyndicDep, _caller: Steward) -> RunView:
    return syndic.valuation.show(run_id)


@router.get("/v1/valuation/runs/{run_id}/members")
def run_members(run_id: PathId, syndic: SyndicDep, _caller: Steward) -> list[MemberValueView]:
    return syndic.valuation.member_values(run_id)


@router.get("/v1/valuation/runs/{run_id}/works")
def run_works(run_id: PathId, syndic: SyndicDep, _caller: Steward) -> list[WorkValueView]:
    return syndic.valuation.work_values(run_id)


@router.get("/v1/valuation/members/{member_id}")
def member_value(
    member_id: PathId, syndic: SyndicDep, _caller: StewardOrSelf, run: QueryId = None
) -> MemberValueView:
    """One member's value and why, in the given run (default: the latest)."""
    return syndic.valuation.member_value(member_id, run)


@router.get("/v1/valuation/members/{member_id}/chart.svg", **media("image/svg+xml"))
def member_chart(
    member_id: PathId, syndic: SyndicDep, _caller: StewardOrSelf, run: QueryId = None
) -> Response:
    return Response(syndic.valuation.chart(member_id, run, fmt="svg"), media_type="image/svg+xml")

"""Leverage runs and offer assessment. A steward runs and reads leverage; members (who vote on
deals) and the steward may read a deal's assessment."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from syndic.api.bounds import PathId
from syndic.api.deps import GuardedRoute, Steward, SyndicDep, allow
from syndic.api.openapi import media
from syndic.auth.models import Principal, Role
from syndic.bargaining.params import LeverageParams
from syndic.bargaining.views import LeverageRunView
from syndic.errors import LeverageError

router = APIRouter(tags=["leverage"], route_class=GuardedRoute)


class LeverageRunIn(BaseModel):
    """The run's parameters (as ``syndic leverage run``'s options) and the builder's outside
    data as JSONL text."""

    model_config = ConfigDict(extra="forbid")

    outside_jsonl: str = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict, max_length=64)


@router.post("/v1/leverage/runs", status_code=201)
def run(body: LeverageRunIn, syndic: SyndicDep, caller: Steward) -> LeverageRunView:
    try:
        params = LeverageParams(**body.params)
    except TypeError as exc:
        raise LeverageError(f"unknown leverage parameter: {exc}") from exc
    return syndic.leverage.run(
        params.check(), outside=body.outside_jsonl.encode("utf-8"), actor=caller.actor
    )


@router.get("/v1/leverage/runs")
def list_runs(syndic: SyndicDep, _caller: Steward) -> list[LeverageRunView]:
    return syndic.leverage.list_runs()


@router.get("/v1/leverage/runs/{run_id}")
def get_run(run_id: PathId, syndic: SyndicDep, _caller: Steward) -> LeverageRunView:
    return syndic.leverage.show(run_id)


@router.get("/v1/leverage/runs/{run_id}/chart.svg", **media("image/svg+xml"))
def chart(run_id: PathId, syndic: SyndicDep, _caller: Steward) -> Response:
    return Response(syndic.leverage.chart(run_id, fmt="svg"), media_type="image/svg+xml")


@router.get("/v1/deals/{deal_id}/assessment")
def assess(
    deal_id: PathId,
    syndic: SyndicDep,
    _caller: Annotated[Principal, allow(Role.STEWARD, Role.MEMBER)],
) -> dict[str, Any]:
    """The deal's latest offer: its place in the price range, the floors and red lines it
    breaks, the works it leaves out, each member's projected payout."""
    return syndic.assess_deal(deal_id)

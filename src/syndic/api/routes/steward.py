"""The steward's moves in a round: put offers to a vote, close, sign, book and pay."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from syndic.api.bounds import Minor, PathId, QueryId
from syndic.api.deps import GuardedRoute, Steward, SyndicDep
from syndic.deals.views import AgreementView, DealView
from syndic.payouts.service import StatementView
from syndic.terms.models import Terms

router = APIRouter(tags=["steward"], route_class=GuardedRoute)


class CloseVoteIn(BaseModel):
    early: bool = False


class RevenueIn(BaseModel):
    amount_minor: Minor
    over_price: bool = False  # confirms revenue above the agreement's price


@router.put("/v1/terms", status_code=201)
def publish_terms(body: Terms, syndic: SyndicDep, caller: Steward) -> dict[str, int]:
    return {"version": syndic.terms.publish(body, actor=caller.actor)}


@router.post("/v1/deals/{deal_id}/vote")
def open_vote(deal_id: PathId, syndic: SyndicDep, caller: Steward) -> DealView:
    """Open the members' vote; how long and by what rule is the charter's to say."""
    return syndic.deals.open_vote(deal_id, actor=caller.actor)


@router.post("/v1/deals/{deal_id}/vote/close")
def close_vote(deal_id: PathId, body: CloseVoteIn, syndic: SyndicDep, caller: Steward) -> DealView:
    return syndic.deals.close_vote(deal_id, force=body.early, actor=caller.actor)


@router.post("/v1/deals/{deal_id}/sign", status_code=201)
def sign(deal_id: PathId, syndic: SyndicDep, caller: Steward) -> AgreementView:
    return syndic.deals.sign(deal_id, actor=caller.actor)


@router.post("/v1/agreements/{agreement_id}/revenue", status_code=201)
def book_revenue(
    agreement_id: PathId, body: RevenueIn, syndic: SyndicDep, caller: Steward
) -> dict[str, int]:
    return {
        "ledger_txn": syndic.payouts.book_revenue(
            agreement_id, body.amount_minor, over_price=body.over_price, actor=caller.actor
        )
    }


@router.post("/v1/agreements/{agreement_id}/distribute")
def distribute(
    agreement_id: PathId, syndic: SyndicDep, caller: Steward, run_id: QueryId = None
) -> list[StatementView]:
    """Distribute under the charter's payout policy (``run_id``: the valuation run to use)."""
    return syndic.distribute(agreement_id, run_id=run_id, actor=caller.actor)


class CrawlCollectionIn(BaseModel):
    agent: str
    amount_minor: Minor


@router.get("/v1/crawl-charges")
def crawl_charges(
    syndic: SyndicDep, caller: Steward, agent: str | None = None
) -> list[dict[str, object]]:
    """Pay-per-crawl charges per crawler and site: charged, settled, still owed."""
    return [r.view() for r in syndic.payouts.crawl_owed(agent=agent)]


@router.post("/v1/crawl-charges/collections", status_code=201)
def collect_crawl(body: CrawlCollectionIn, syndic: SyndicDep, caller: Steward) -> dict[str, Any]:
    """Money received from a crawler's operator, credited to the crawled sites' members."""
    parts = syndic.payouts.collect_crawl(body.agent, body.amount_minor, actor=caller.actor)
    return {
        "agent": body.agent,
        "currency": syndic.settings.currency,
        "credited": [p.view() for p in parts],
    }


@router.post("/v1/payouts")
def pay_out(syndic: SyndicDep, caller: Steward) -> dict[str, Any]:
    return {
        "paid_minor": syndic.payouts.pay_out(actor=caller.actor),
        "currency": syndic.settings.currency,
    }

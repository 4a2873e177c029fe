"""Licensees, offers, votes, agreements, tokens and the licensed dataset."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from syndic.api.deps import Caller, SyndicDep, require, require_self_or_steward
from syndic.auth.service import Role
from syndic.deals.views import AgreementView, DealView, LicenseeView
from syndic.errors import AuthError, Forbidden
from syndic.terms.models import Terms

router = APIRouter(tags=["deals"])


class LicenseeIn(BaseModel):
    name: str
    contact: str
    public_key: str | None = None
    monthly_active_users: int = 0


class OfferIn(BaseModel):
    terms: Terms
    scope: list[str] = Field(default_factory=list)


class VoteIn(BaseModel):
    choice: Literal["yes", "no", "abstain"]


class TokenOut(BaseModel):
    token: str
    agreement_id: int


@router.post("/v1/licensees", status_code=201)
def add_licensee(body: LicenseeIn, s: SyndicDep, caller: Caller) -> LicenseeView:
    require(caller, Role.STEWARD)
    return s.deals.register_licensee(**body.model_dump(), actor=caller.actor)


@router.get("/v1/licensees")
def list_licensees(s: SyndicDep, caller: Caller) -> list[LicenseeView]:
    require(caller, Role.STEWARD)
    return s.deals.list_licensees()


@router.post("/v1/deals", status_code=201)
def offer(body: OfferIn, s: SyndicDep, caller: Caller) -> DealView:
    """A licensee asks for a licence on these terms."""
    require(caller, Role.LICENSEE)
    assert caller.subject_id is not None
    return s.deals.offer(
        licensee_id=caller.subject_id, terms=body.terms, scope=body.scope, actor=caller.actor
    )


@router.get("/v1/deals")
def list_deals(s: SyndicDep, caller: Caller) -> list[DealView]:
    deals = s.deals.list_deals()
    if caller.role is Role.LICENSEE:
        return [d for d in deals if d.licensee_id == caller.subject_id]
    return deals


@router.get("/v1/deals/{deal_id}")
def get_deal(deal_id: int, s: SyndicDep, caller: Caller) -> DealView:
    d = s.deals.get_deal(deal_id)
    if caller.role is Role.LICENSEE:
        require_self_or_steward(caller, Role.LICENSEE, d.licensee_id)
    return d


@router.post("/v1/deals/{deal_id}/votes", status_code=201)
def cast_vote(deal_id: int, body: VoteIn, s: SyndicDep, caller: Caller) -> dict[str, str]:
    """A member casts their own vote."""
    if caller.role is not Role.MEMBER or caller.subject_id is None:
        raise Forbidden("only members vote")
    s.deals.cast_vote(deal_id, member_id=caller.subject_id, choice=body.choice, actor=caller.actor)
    return {"status": "recorded"}


@router.get("/v1/agreements")
def list_agreements(s: SyndicDep, caller: Caller) -> list[AgreementView]:
    if caller.role is Role.LICENSEE:
        return s.deals.list_agreements(licensee_id=caller.subject_id)
    require(caller, Role.STEWARD)
    return s.deals.list_agreements()


def _own_agreement(s: SyndicDep, caller: Caller, agreement_id: int) -> AgreementView:
    a = s.deals.get_agreement(agreement_id)
    if caller.role is Role.LICENSEE and caller.subject_id != a.licensee_id:
        s.deals.deny(
            who=caller.actor, what=f"agreement:{agreement_id}", why="not a party to this agreement"
        )
        raise Forbidden(f"agreement {agreement_id} is not yours")
    if caller.role is Role.MEMBER:
        raise Forbidden("members cannot act on agreements")
    return a


@router.get("/v1/agreements/{agreement_id}")
def get_agreement(agreement_id: int, s: SyndicDep, caller: Caller) -> AgreementView:
    return _own_agreement(s, caller, agreement_id)


@router.post("/v1/agreements/{agreement_id}/tokens", status_code=201)
def issue_token(agreement_id: int, s: SyndicDep, caller: Caller) -> TokenOut:
    _own_agreement(s, caller, agreement_id)
    return TokenOut(
        token=s.deals.issue_token(agreement_id, actor=caller.actor), agreement_id=agreement_id
    )


@router.get("/v1/agreements/{agreement_id}/dataset.jsonl")
def dataset(agreement_id: int, request: Request, s: SyndicDep) -> StreamingResponse:
    """The licensed data, with `Authorization: License <token>` (RSL's licence-token scheme)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "license" or not token.strip():
        raise AuthError("send an access token as `Authorization: License <token>`")
    grant = s.deals.authorize_delivery(token.strip(), agreement_id)
    return StreamingResponse(s.deals.dataset_lines(grant), media_type="application/jsonl")

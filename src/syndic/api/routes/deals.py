"""Licensees, negotiation (offers, counter-offers, acceptance), members' votes on deals,
agreements (document, signatures, RSL), tokens and the licensed dataset."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from syndic.api.bounds import BodyId, Count, PathId
from syndic.api.deps import (
    LICENCE_TOKEN,
    GuardedRoute,
    Licensee,
    Steward,
    SyndicDep,
    allow,
    credential,
)
from syndic.api.openapi import media
from syndic.auth.models import Principal, Role
from syndic.deals.offers import Installment, Offer, Reporting
from syndic.deals.states import Party
from syndic.deals.views import AgreementView, DealView, LicenseeView, OfferView
from syndic.errors import AuthError
from syndic.governance.views import BallotReceipt
from syndic.governance.voting.outcome import Choice
from syndic.terms.models import Terms
from syndic.terms.rsl import MEDIA_TYPE as RSL_MEDIA_TYPE

router = APIRouter(tags=["deals"], route_class=GuardedRoute)


class LicenseeIn(BaseModel):
    name: str
    contact: str
    public_key: str | None = None
    monthly_active_users: Count = 0


class KeyIn(BaseModel):
    public_key: str = Field(description="Ed25519 public key, base64 of the 32 raw bytes")


class UsersIn(BaseModel):
    monthly_active_users: Count


class OfferIn(BaseModel):
    terms: Terms
    scope: list[str] = Field(default_factory=list)
    payment_schedule: list[Installment] = Field(default_factory=list)
    reporting: Reporting = Reporting()

    def offer(self) -> Offer:
        return Offer.build(
            terms=self.terms,
            scope=self.scope,
            payment_schedule=self.payment_schedule,
            reporting=self.reporting,
        )


class DraftIn(OfferIn):
    licensee_id: BodyId


class VoteIn(BaseModel):
    choice: Choice | None = None
    votes: dict[str, Count] | None = Field(
        default=None, description="quadratic ballots: votes per option (n votes cost n^2)"
    )


class SignatureIn(BaseModel):
    signature: str = Field(description="Ed25519 signature over the document bytes, base64")


class TerminateIn(BaseModel):
    reason: str


class TokenOut(BaseModel):
    token: str
    agreement_id: int


Negotiator = Annotated[
    Principal,
    allow(Role.STEWARD, own="deal", message="only the steward and the licensee negotiate a deal"),
]
DealReader = Annotated[Principal, allow(Role.STEWARD, own="deal")]
DealLicensee = Annotated[Principal, allow(own="deal")]
AgreementLicensee = Annotated[Principal, allow(own="agreement")]
AgreementParty = Annotated[
    Principal, allow(Role.STEWARD, own="agreement", message="members cannot act on agreements")
]
Voter = Annotated[Principal, allow(Role.MEMBER, message="only members vote")]


def _party(caller: Principal) -> tuple[Party, int | None]:
    if caller.role is Role.STEWARD:
        return Party.COALITION, None
    return Party.LICENSEE, caller.subject_id


def _subject(caller: Principal) -> int:
    """The member or licensee id a (non-steward) key speaks for."""
    assert caller.subject_id is not None
    return caller.subject_id


@router.post("/v1/licensees", status_code=201)
def add_licensee(body: LicenseeIn, syndic: SyndicDep, caller: Steward) -> LicenseeView:
    return syndic.deals.register_licensee(**body.model_dump(), actor=caller.actor)


@router.get("/v1/licensees")
def list_licensees(syndic: SyndicDep, caller: Steward) -> list[LicenseeView]:
    return syndic.deals.list_licensees()


@router.get("/v1/licensees/me")
def my_licensee(syndic: SyndicDep, caller: Licensee) -> LicenseeView:
    return syndic.deals.get_licensee(_subject(caller))


@router.put("/v1/licensees/me/key")
def register_key(body: KeyIn, syndic: SyndicDep, caller: Licensee) -> LicenseeView:
    """The licensee registers the Ed25519 public key it signs agreements with."""
    return syndic.deals.register_key(_subject(caller), body.public_key, actor=caller.actor)


@router.put("/v1/licensees/me/users")
def report_users(body: UsersIn, syndic: SyndicDep, caller: Licensee) -> LicenseeView:
    """The licensee reports its monthly active users (the market-leader clause: at or above
    the charter's threshold it needs a negotiated licence, not the open terms)."""
    return syndic.deals.report_users(
        _subject(caller), body.monthly_active_users, actor=caller.actor
    )


@router.post("/v1/deals", status_code=201)
def offer(body: OfferIn, syndic: SyndicDep, caller: Licensee) -> DealView:
    """A licensee asks for a licence on these terms (its opening offer)."""
    return syndic.deals.offer(licensee_id=_subject(caller), offer=body.offer(), actor=caller.actor)


@router.post("/v1/deals/drafts", status_code=201)
def draft(body: DraftIn, syndic: SyndicDep, caller: Steward) -> DealView:
    """The coalition prepares an offer to a licensee."""
    return syndic.deals.draft(licensee_id=body.licensee_id, offer=body.offer(), actor=caller.actor)


@router.post("/v1/deals/{deal_id}/send")
def send(deal_id: PathId, syndic: SyndicDep, caller: Steward) -> DealView:
    return syndic.deals.send(deal_id, actor=caller.actor)


@router.get("/v1/deals")
def list_deals(
    syndic: SyndicDep, caller: Annotated[Principal, allow(Role.STEWARD, Role.LICENSEE)]
) -> list[DealView]:
    deals = syndic.deals.list_deals()
    if caller.role is Role.LICENSEE:
        return [d for d in deals if d.licensee_id == caller.subject_id]
    return deals


@router.get("/v1/deals/{deal_id}")
def get_deal(deal_id: PathId, syndic: SyndicDep, _caller: DealReader) -> DealView:
    return syndic.deals.get_deal(deal_id)


@router.get("/v1/deals/{deal_id}/offers")
def offers(deal_id: PathId, syndic: SyndicDep, _caller: DealReader) -> list[OfferView]:
    """Every offer and counter-offer, each with its diff from the one before."""
    return syndic.deals.offers(deal_id)


@router.post("/v1/deals/{deal_id}/counter")
def counter(deal_id: PathId, body: OfferIn, syndic: SyndicDep, caller: Negotiator) -> DealView:
    """A counter-offer with full terms, by the party whose turn it is."""
    party, licensee_id = _party(caller)
    return syndic.deals.counter(
        deal_id, body.offer(), party=party, licensee_id=licensee_id, actor=caller.actor
    )


@router.post("/v1/deals/{deal_id}/accept")
def accept(deal_id: PathId, syndic: SyndicDep, caller: DealLicensee) -> DealView:
    """The licensee accepts the coalition's latest offer."""
    return syndic.deals.accept(deal_id, licensee_id=_subject(caller), actor=caller.actor)


@router.get("/v1/deals/{deal_id}/coverage")
def coverage(
    deal_id: PathId,
    syndic: SyndicDep,
    _caller: Annotated[Principal, allow(Role.STEWARD, Role.MEMBER)],
) -> dict[str, object]:
    """Which works the deal would cover, and whose are left out and why."""
    return syndic.deals.coverage(deal_id)


@router.post("/v1/deals/{deal_id}/votes", status_code=201)
def cast_vote(deal_id: PathId, body: VoteIn, syndic: SyndicDep, caller: Voter) -> BallotReceipt:
    """A member casts their own vote; the receipt's salt opens the logged commitment."""
    return syndic.deals.cast_vote(
        deal_id,
        member_id=_subject(caller),
        choice=body.choice,
        votes=body.votes,
        actor=caller.actor,
    )


@router.post("/v1/deals/expire")
def expire(syndic: SyndicDep, caller: Steward) -> dict[str, int]:
    """Lapse offers past their deadline; expire agreements past their end."""
    return syndic.deals.expire_due(actor=caller.actor)


@router.get("/v1/agreements")
def list_agreements(
    syndic: SyndicDep, caller: Annotated[Principal, allow(Role.STEWARD, Role.LICENSEE)]
) -> list[AgreementView]:
    if caller.role is Role.LICENSEE:
        return syndic.deals.list_agreements(licensee_id=caller.subject_id)
    return syndic.deals.list_agreements()


@router.get("/v1/agreements/{agreement_id}")
def get_agreement(
    agreement_id: PathId, syndic: SyndicDep, _caller: AgreementParty
) -> AgreementView:
    return syndic.deals.get_agreement(agreement_id)


@router.get("/v1/agreements/{agreement_id}/document", **media("application/json"))
def agreement_document(
    agreement_id: PathId, syndic: SyndicDep, _caller: AgreementParty
) -> Response:
    """The exact bytes both parties sign (RFC 8785 canonical JSON)."""
    return Response(syndic.deals.agreement_document(agreement_id), media_type="application/json")


@router.post("/v1/agreements/{agreement_id}/signature")
def countersign(
    agreement_id: PathId, body: SignatureIn, syndic: SyndicDep, caller: AgreementLicensee
) -> AgreementView:
    """The licensee's signature over the document; the agreement becomes active."""
    return syndic.deals.countersign(
        agreement_id, body.signature, licensee_id=_subject(caller), actor=caller.actor
    )


@router.get("/v1/agreements/{agreement_id}/file", **media("application/json"))
def agreement_file(agreement_id: PathId, syndic: SyndicDep, _caller: AgreementParty) -> Response:
    """The agreement file with both signatures (check it with `syndic agreement verify`)."""
    return Response(syndic.deals.agreement_file_bytes(agreement_id), media_type="application/json")


@router.get("/v1/agreements/{agreement_id}/rsl", **media(RSL_MEDIA_TYPE))
def agreement_rsl(agreement_id: PathId, syndic: SyndicDep, _caller: AgreementParty) -> Response:
    """The agreement as an RSL 1.0 licence over its licensed dataset."""
    return Response(
        syndic.deals.rsl(agreement_id, base_url=syndic.settings.public_url),
        media_type=RSL_MEDIA_TYPE,
    )


@router.post("/v1/agreements/{agreement_id}/terminate")
def terminate(
    agreement_id: PathId, body: TerminateIn, syndic: SyndicDep, caller: Steward
) -> AgreementView:
    return syndic.deals.terminate(agreement_id, reason=body.reason, actor=caller.actor)


@router.post("/v1/agreements/{agreement_id}/tokens", status_code=201)
def issue_token(agreement_id: PathId, syndic: SyndicDep, caller: AgreementParty) -> TokenOut:
    return TokenOut(
        token=syndic.deals.issue_token(agreement_id, actor=caller.actor), agreement_id=agreement_id
    )


@router.get(
    "/v1/agreements/{agreement_id}/dataset.jsonl",
    dependencies=[credential(LICENCE_TOKEN)],
    **media("application/jsonl"),
)
def dataset(agreement_id: PathId, request: Request, syndic: SyndicDep) -> StreamingResponse:
    """The licensed data, with `Authorization: License <token>` (RSL's licence-token scheme)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "license" or not token.strip():
        raise AuthError("send an access token as `Authorization: License <token>`")
    grant = syndic.deals.authorize_delivery(token.strip(), agreement_id)
    return StreamingResponse(syndic.licensed_dataset(grant), media_type="application/jsonl")

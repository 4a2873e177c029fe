"""A licensee's pages: the terms and the catalogue, offers (make, counter, accept), signing an
agreement in the browser (or uploading a signature made offline), access tokens, the dataset,
monthly users, and what they owe and have paid.

Every page is the signed-in licensee's own (``/licensee``); a deal or agreement is checked
with the authorization policy (``own="deal"`` / ``own="agreement"``), so another licensee
gets a 403 page and the attempt is logged as ``access.denied``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import File, Form, Request, Response, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import ValidationError

from syndic.api.bounds import PathId
from syndic.auth.models import Role
from syndic.auth.policy import Need
from syndic.deals.offers import Offer
from syndic.deals.states import Party
from syndic.errors import InvalidInput, NotFound, VerificationError
from syndic.money import parse_major
from syndic.terms.models import LEAF_USAGES, PaymentType, Terms
from syndic.web.pages.common import page_router, see_other, syndic_of
from syndic.web.pages.public import USAGE_WORDS
from syndic.web.render import render
from syndic.web.session import Viewer, require

router = page_router()
LICENSEE = Need.of(Role.LICENSEE)
OWN_DEAL = Need.of(own="deal")
OWN_AGREEMENT = Need.of(own="agreement")
USAGES = sorted(u.value for u in LEAF_USAGES)
PAYMENT_TYPES = [p.value for p in PaymentType]


def _me(viewer: Viewer) -> int:
    assert viewer.subject_id is not None  # a licensee principal always names its licensee
    return viewer.subject_id


@router.get("/licensee")
def home(request: Request, saved: str = "") -> Response:
    viewer = require(request, LICENSEE)
    syndic = syndic_of(request)
    me = _me(viewer)
    try:
        version, terms = syndic.terms.current()
        doc: dict[str, Any] | None = {"version": version, **terms.document()}
    except NotFound:
        doc = None
    deals = [d for d in syndic.deals.list_deals() if d.licensee_id == me]
    return render(
        request,
        "licensee/home.html",
        title="Your licence",
        licensee=syndic.deals.get_licensee(me),
        terms=doc,
        words=USAGE_WORDS,
        catalogue=syndic.licensee_portal.catalogue(samples_allowed=bool(doc and doc["permits"])),
        deals=deals,
        accounts=syndic.licensee_portal.accounts(me),
        saved=saved,
        errors={},
    )


@router.post("/licensee/users")
def report_users(request: Request, monthly_active_users: Annotated[str, Form()] = "") -> Response:
    viewer = require(request, LICENSEE)
    syndic = syndic_of(request)
    text = monthly_active_users.strip().replace(",", "").replace(" ", "")
    if not text.isdigit():
        return _home_with_error(request, viewer, "users", "Enter a whole number, 0 or more.")
    syndic.deals.report_users(_me(viewer), int(text), actor=viewer.principal.actor)
    return see_other("/licensee?saved=users")


@router.post("/licensee/key")
def register_key(request: Request, public_key: Annotated[str, Form()] = "") -> Response:
    """The public half of a key made in the browser (the private half never leaves it)."""
    viewer = require(request, LICENSEE)
    try:
        syndic_of(request).deals.register_key(
            _me(viewer), public_key.strip(), actor=viewer.principal.actor
        )
    except VerificationError as exc:
        return _home_with_error(request, viewer, "public_key", exc.message)
    return see_other("/licensee?saved=key")


def _home_with_error(request: Request, viewer: Viewer, field: str, message: str) -> Response:
    syndic = syndic_of(request)
    me = _me(viewer)
    return render(
        request,
        "licensee/home.html",
        status=422,
        title="Your licence",
        licensee=syndic.deals.get_licensee(me),
        terms=None,
        words=USAGE_WORDS,
        catalogue=None,
        deals=[d for d in syndic.deals.list_deals() if d.licensee_id == me],
        accounts=syndic.licensee_portal.accounts(me),
        saved="",
        errors={field: message},
    )


# --- offers ---------------------------------------------------------------------------------
def _offer_from_form(
    request: Request, permits: list[str], payment_type: str, amount: str, duration_days: str
) -> tuple[Offer | None, dict[str, str]]:
    currency = syndic_of(request).settings.currency
    errors: dict[str, str] = {}
    if not permits:
        errors["permits"] = "Choose at least one use to license."
    elif any(p not in USAGES for p in permits):
        errors["permits"] = "Choose uses from the list."
    if payment_type not in PAYMENT_TYPES:
        errors["payment_type"] = "Choose a payment type from the list."
    try:
        amount_minor = parse_major(amount.strip() or "0", currency)
    except InvalidInput as exc:
        errors["amount"] = exc.message
        amount_minor = 0
    days = duration_days.strip()
    if not days.isdigit() or not 1 <= int(days) <= 36500:
        errors["duration_days"] = "Enter a number of days from 1 to 36500."
    if errors:
        return None, errors
    try:
        terms = Terms.model_validate(
            {
                "permits": permits,
                "payment_type": payment_type,
                "amount_minor": amount_minor,
                "currency": currency,
                "duration_days": int(days),
            }
        )
    except ValidationError as exc:
        message = exc.errors()[0]["msg"].removeprefix("Value error, ")
        return None, {"amount": message}
    return Offer.build(terms=terms), {}


def _offer_page(
    request: Request,
    template: str,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    **context: Any,
) -> Response:
    return render(
        request,
        template,
        status=status,
        usages=USAGES,
        words=USAGE_WORDS,
        payment_types=PAYMENT_TYPES,
        errors=errors or {},
        values=values or {},
        **context,
    )


@router.get("/licensee/offer")
def offer_form(request: Request) -> Response:
    require(request, LICENSEE)
    return _offer_page(request, "licensee/offer.html", title="Make an offer")


@router.post("/licensee/offer")
def make_offer(
    request: Request,
    payment_type: Annotated[str, Form()] = "",
    amount: Annotated[str, Form()] = "",
    duration_days: Annotated[str, Form()] = "365",
    permits: Annotated[list[str] | None, Form()] = None,
) -> Response:
    viewer = require(request, LICENSEE)
    values = {"permits": permits or [], "payment_type": payment_type, "amount": amount}
    values["duration_days"] = duration_days
    offer, errors = _offer_from_form(request, permits or [], payment_type, amount, duration_days)
    if offer is None:
        return _offer_page(
            request,
            "licensee/offer.html",
            status=422,
            title="Make an offer",
            errors=errors,
            values=values,
        )
    deal = syndic_of(request).deals.offer(
        licensee_id=_me(viewer), offer=offer, actor=viewer.principal.actor
    )
    return see_other(f"/licensee/deals/{deal.id}")


def _deal_page(
    request: Request,
    deal_id: PathId,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    syndic = syndic_of(request)
    deal = syndic.deals.get_deal(deal_id)
    agreements = [a for a in syndic.deals.list_agreements() if a.deal_id == deal_id]
    terms = deal.terms
    defaults = {
        "permits": terms["permits"],
        "payment_type": terms["payment_type"],
        "amount": f"{terms['amount_minor'] / 100:.2f}",
        "duration_days": terms["duration_days"],
    }
    return _offer_page(
        request,
        "licensee/deal.html",
        status=status,
        title=f"Deal {deal_id}",
        deal=deal,
        offers=syndic.deals.offers(deal_id),
        agreements=agreements,
        errors=errors,
        values=values or defaults,
    )


@router.get("/licensee/deals/{deal_id}")
def deal_page(request: Request, deal_id: PathId) -> Response:
    require(request, OWN_DEAL, subject=deal_id)
    return _deal_page(request, deal_id)


@router.post("/licensee/deals/{deal_id}/counter")
def counter(
    request: Request,
    deal_id: PathId,
    *,
    payment_type: Annotated[str, Form()] = "",
    amount: Annotated[str, Form()] = "",
    duration_days: Annotated[str, Form()] = "365",
    permits: Annotated[list[str] | None, Form()] = None,
) -> Response:
    viewer = require(request, OWN_DEAL, subject=deal_id)
    values = {"permits": permits or [], "payment_type": payment_type, "amount": amount}
    values["duration_days"] = duration_days
    offer, errors = _offer_from_form(request, permits or [], payment_type, amount, duration_days)
    if offer is None:
        return _deal_page(request, deal_id, status=422, errors=errors, values=values)
    syndic_of(request).deals.counter(
        deal_id, offer, party=Party.LICENSEE, licensee_id=_me(viewer), actor=viewer.principal.actor
    )
    return see_other(f"/licensee/deals/{deal_id}")


@router.post("/licensee/deals/{deal_id}/accept")
def accept(request: Request, deal_id: PathId) -> Response:
    viewer = require(request, OWN_DEAL, subject=deal_id)
    syndic_of(request).deals.accept(deal_id, licensee_id=_me(viewer), actor=viewer.principal.actor)
    return see_other(f"/licensee/deals/{deal_id}")


# --- agreements: signing, tokens, the dataset --------------------------------------------------
def _agreement_page(
    request: Request,
    agreement_id: PathId,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    token: str | None = None,
) -> Response:
    syndic = syndic_of(request)
    agreement = syndic.deals.get_agreement(agreement_id)
    account = next(
        a
        for a in syndic.licensee_portal.accounts(agreement.licensee_id)
        if a.agreement_id == agreement_id
    )
    return render(
        request,
        "licensee/agreement.html",
        status=status,
        title=f"Agreement {agreement_id}",
        agreement=agreement,
        account=account,
        licensee=syndic.deals.get_licensee(agreement.licensee_id),
        errors=errors or {},
        token=token,
    )


@router.get("/licensee/agreements/{agreement_id}")
def agreement_page(request: Request, agreement_id: PathId) -> Response:
    require(request, OWN_AGREEMENT, subject=agreement_id)
    return _agreement_page(request, agreement_id)


@router.get("/licensee/agreements/{agreement_id}/document")
def agreement_document(request: Request, agreement_id: PathId) -> Response:
    """The exact bytes to sign (what the page's script signs, and an offline tool too)."""
    require(request, OWN_AGREEMENT, subject=agreement_id)
    body = syndic_of(request).deals.agreement_document(agreement_id)
    return Response(
        body,
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="agreement-{agreement_id}.json"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/licensee/agreements/{agreement_id}/signature")
async def countersign(
    request: Request,
    agreement_id: PathId,
    signature: Annotated[str, Form()] = "",
    signature_file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """A base64 signature typed or filled in by the page's script, or a signature file made
    offline (raw 64 bytes or base64); checked on the server against the registered key."""
    viewer = require(request, OWN_AGREEMENT, subject=agreement_id)
    text = signature.strip()
    if not text and signature_file is not None and signature_file.filename:
        text = _signature_text(await signature_file.read(4096))
    if not text:
        return _agreement_page(
            request,
            agreement_id,
            status=422,
            errors={"signature": "Sign in this browser, paste a signature or choose its file."},
        )
    from starlette.concurrency import run_in_threadpool

    try:
        await run_in_threadpool(
            syndic_of(request).deals.countersign,
            agreement_id,
            text,
            licensee_id=_me(viewer),
            actor=viewer.principal.actor,
        )
    except VerificationError as exc:
        return _agreement_page(request, agreement_id, status=422, errors={"signature": exc.message})
    return see_other(f"/licensee/agreements/{agreement_id}")


def _signature_text(raw: bytes) -> str:
    """A signature file: 64 raw bytes, or their base64 as text."""
    import base64

    if len(raw) == 64:
        return base64.b64encode(raw).decode()
    try:
        return raw.decode("ascii").strip()
    except UnicodeDecodeError:
        return "?"  # neither: the service refuses it in its own words


@router.post("/licensee/agreements/{agreement_id}/tokens")
def issue_token(request: Request, agreement_id: PathId) -> Response:
    viewer = require(request, OWN_AGREEMENT, subject=agreement_id)
    token = syndic_of(request).deals.issue_token(agreement_id, actor=viewer.principal.actor)
    return _agreement_page(request, agreement_id, status=201, token=token)


@router.post("/licensee/agreements/{agreement_id}/dataset.jsonl")
def download_dataset(request: Request, agreement_id: PathId) -> Response:
    """The licensed dataset: a fresh access token is issued (and logged) for the download,
    exactly as a machine would present one to ``/v1/agreements/{id}/dataset.jsonl``."""
    viewer = require(request, OWN_AGREEMENT, subject=agreement_id)
    deals = syndic_of(request).deals
    token = deals.issue_token(agreement_id, actor=viewer.principal.actor)
    grant = deals.authorize_delivery(token, agreement_id)
    return StreamingResponse(
        deals.dataset_lines(grant),
        media_type="application/jsonl",
        headers={
            "Content-Disposition": f'attachment; filename="agreement-{agreement_id}.jsonl"',
            "Cache-Control": "no-store",
        },
    )

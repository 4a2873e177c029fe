"""A member's own pages: dashboard, mandate, money and their data (works and votes have
modules of their own). Every page is under ``/members/{member_id}``: the authorization policy
lets the member themself (and the steward) in, and logs anyone else's attempt as
``access.denied``; changes are the member's own to make."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request, Response

from syndic.api.bounds import PathId
from syndic.auth.models import Role
from syndic.auth.policy import Need
from syndic.errors import Forbidden, InvalidInput, NotFound
from syndic.money import parse_major
from syndic.terms.models import LEAF_USAGES
from syndic.web.pages.common import page_router, see_other, syndic_of
from syndic.web.pages.public import USAGE_WORDS
from syndic.web.render import render
from syndic.web.session import Viewer, require

router = page_router()
OWN_MEMBER = Need.of(Role.STEWARD, own="member")
RED_LINE_CHOICES = sorted(u.value for u in LEAF_USAGES)


def member_viewer(request: Request, member_id: PathId) -> Viewer:
    """The member themself, or the steward (to read)."""
    return require(request, OWN_MEMBER, subject=member_id)


def member_actor(request: Request, member_id: PathId) -> Viewer:
    """The member themself: changes on these pages are theirs alone to make."""
    viewer = member_viewer(request, member_id)
    if viewer.role is not Role.MEMBER:
        raise Forbidden("only the member can change this; the steward has the CLI and the API")
    return viewer


@router.get("/members/{member_id}")
def dashboard(request: Request, member_id: PathId) -> Response:
    member_viewer(request, member_id)
    board = syndic_of(request).portal.dashboard(member_id)
    return render(request, "member/dashboard.html", title="Dashboard", board=board)


# --- mandate --------------------------------------------------------------------------------
def _mandate_page(
    request: Request,
    member_id: PathId,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    saved: bool = False,
) -> Response:
    member = syndic_of(request).members.get(member_id)
    return render(
        request,
        "member/mandate.html",
        status=status,
        title="Mandate",
        member=member,
        choices=RED_LINE_CHOICES,
        words=USAGE_WORDS,
        errors=errors or {},
        saved=saved,
    )


@router.get("/members/{member_id}/mandate")
def mandate(request: Request, member_id: PathId, saved: bool = False) -> Response:
    member_viewer(request, member_id)
    return _mandate_page(request, member_id, saved=saved)


@router.post("/members/{member_id}/mandate")
def change_mandate(
    request: Request,
    member_id: PathId,
    floor_price: Annotated[str, Form()] = "0",
    vlop: Annotated[str, Form()] = "allow",
    red_lines: Annotated[list[str] | None, Form()] = None,
) -> Response:
    viewer = member_actor(request, member_id)
    syndic = syndic_of(request)
    try:
        floor = parse_major(floor_price.strip() or "0", syndic.settings.currency)
    except InvalidInput as exc:
        return _mandate_page(request, member_id, status=422, errors={"floor_price": exc.message})
    try:
        syndic.members.change_mandate(
            member_id,
            prohibited_usages=red_lines or [],
            floor_price_minor=floor,
            allow_vlop=vlop == "allow",
            actor=viewer.principal.actor,
        )
    except InvalidInput as exc:
        return _mandate_page(request, member_id, status=422, errors={"form": exc.message})
    return see_other(f"/members/{member_id}/mandate?saved=true")


# --- money ----------------------------------------------------------------------------------
@router.get("/members/{member_id}/money")
def money(request: Request, member_id: PathId) -> Response:
    member_viewer(request, member_id)
    syndic = syndic_of(request)
    statements = syndic.payouts.statements(member_id=member_id)
    payouts = syndic.payouts.payouts_to(member_id)
    chart = None
    if payouts:
        from syndic.web.charts import bar_chart_uri  # matplotlib only when there is a chart

        chart = bar_chart_uri(
            [p.created_at.strftime("%Y-%m-%d") for p in payouts],
            [p.amount_minor / 100 for p in payouts],
            title="Payouts to you over time",
            xlabel=syndic.settings.currency,
        )
    return render(
        request,
        "member/money.html",
        title="Money",
        member_id=member_id,
        statements=statements,
        payouts=payouts,
        owed=syndic.payouts.owed_to(member_id),
        chart=chart,
    )


@router.get("/members/{member_id}/statements/{agreement_id}")
def statement(request: Request, member_id: PathId, agreement_id: PathId) -> Response:
    member_viewer(request, member_id)
    syndic = syndic_of(request)
    mine = [
        s for s in syndic.payouts.statements(member_id=member_id) if s.agreement_id == agreement_id
    ]
    if not mine:
        raise NotFound(f"you have no statement for agreement {agreement_id}")
    return render(
        request,
        "member/statement.html",
        title=f"Statement for agreement {agreement_id}",
        member_id=member_id,
        statements=mine,
        agreement=syndic.deals.get_agreement(agreement_id),
    )


# --- my data, and leaving ---------------------------------------------------------------------
@router.get("/members/{member_id}/data")
def my_data(request: Request, member_id: PathId) -> Response:
    member_viewer(request, member_id)
    board = syndic_of(request).portal.dashboard(member_id)
    return render(request, "member/data.html", title="My data", board=board)


@router.get("/members/{member_id}/data.zip")
def download_data(request: Request, member_id: PathId) -> Response:
    member_viewer(request, member_id)
    syndic = syndic_of(request)
    body = syndic.portal.export(member_id, now=syndic.clock.now())
    return Response(
        body,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="member-{member_id}-data.zip"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/members/{member_id}/leave")
def leave(request: Request, member_id: PathId, confirm: Annotated[str, Form()] = "") -> Response:
    viewer = member_actor(request, member_id)
    if confirm != "leave":
        board = syndic_of(request).portal.dashboard(member_id)
        return render(
            request,
            "member/data.html",
            status=422,
            title="My data",
            board=board,
            errors={"confirm": "Tick the box to confirm that you want to leave."},
        )
    syndic_of(request).members.leave(member_id, actor=viewer.principal.actor)
    return see_other(f"/members/{member_id}/data")

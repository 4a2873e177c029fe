"""A member's pages: dashboard, works, mandate, votes, money and their data. Every page is
under ``/members/{member_id}``: the authorization policy lets the member themself (and the
steward) in, and logs anyone else's attempt as ``access.denied``."""

from __future__ import annotations

from fastapi import Request, Response

from syndic.auth.models import Role
from syndic.auth.policy import Need
from syndic.web.pages.common import page_router, syndic_of
from syndic.web.render import render
from syndic.web.session import Viewer, require

router = page_router()
OWN_MEMBER = Need.of(Role.STEWARD, own="member")


def member_viewer(request: Request, member_id: int) -> Viewer:
    return require(request, OWN_MEMBER, subject=member_id)


@router.get("/members/{member_id}")
def dashboard(request: Request, member_id: int) -> Response:
    member_viewer(request, member_id)
    syndic = syndic_of(request)
    member = syndic.members.get(member_id)
    return render(request, "member/dashboard.html", title="Dashboard", member=member)

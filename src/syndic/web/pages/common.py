"""What every page module shares: the router they are built with (CSRF checked on every
POST), the ``Syndic`` object, and where each role lands after signing in."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from syndic.app import Syndic
from syndic.auth.models import Principal, Role
from syndic.web.session import check_csrf


def page_router() -> APIRouter:
    """A router for pages: excluded from the API's schema, every POST CSRF-checked."""
    return APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])


def syndic_of(request: Request) -> Syndic:
    syndic: Syndic = request.app.state.syndic
    return syndic


def home_url(principal: Principal) -> str:
    """Where a role lands after signing in."""
    if principal.role is Role.MEMBER:
        return f"/members/{principal.subject_id}"
    if principal.role is Role.LICENSEE:
        return "/licensee"
    if principal.role is Role.STEWARD:
        return "/steward"
    return "/"


def see_other(url: str) -> RedirectResponse:
    """After a POST: the browser GETs ``url`` (so a reload never posts twice)."""
    return RedirectResponse(url, status_code=303)

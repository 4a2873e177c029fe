"""Signing in with a one-time link (printed by ``syndic login-link`` or mailed on request),
and signing out, which ends the session on the server."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request, Response

from syndic.web.pages.common import home_url, page_router, see_other, syndic_of
from syndic.web.render import render
from syndic.web.session import SESSION_COOKIE, cookies, current_viewer

router = page_router()


@router.get("/signin")
def signin_form(request: Request) -> Response:
    return render(request, "signin/form.html", title="Sign in")


@router.post("/signin")
def request_link(request: Request, email: Annotated[str, Form()] = "") -> Response:
    email = email.strip()
    local, at, domain = email.partition("@")
    if not (local and at and "." in domain) or len(email) > 254:
        return render(
            request,
            "signin/form.html",
            status=422,
            email=email,
            errors={"email": "Enter an e-mail address, like name@example.org."},
        )
    syndic_of(request).request_login_link(email)
    # the same answer whether or not the address is known: the form tells no one who is in
    return render(request, "signin/form.html", sent=email)


@router.get("/signin/link")
def link_page(request: Request, token: str = "") -> Response:
    """Following a link only shows a button: a mail scanner that fetches it spends nothing."""
    return render(request, "signin/link.html", title="Sign in", token=token)


@router.post("/signin/link")
def redeem(request: Request, token: Annotated[str, Form()] = "") -> Response:
    session_token, principal = syndic_of(request).signin.redeem(token)
    response = see_other(home_url(principal))
    ttl = int(syndic_of(request).signin.session_ttl.total_seconds())
    cookies(request).set(response, SESSION_COOKIE, session_token, max_age=ttl)
    return response


@router.post("/signout")
def signout(request: Request) -> Response:
    viewer = current_viewer(request)
    if viewer is not None:
        syndic_of(request).signin.end(viewer.token)
    request.state.viewer = None  # this very page is rendered signed out
    response = render(request, "signin/form.html", title="Signed out", message="you are signed out")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response

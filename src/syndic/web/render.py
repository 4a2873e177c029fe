"""Rendering pages: one Jinja environment, the filters templates use, and the headers every
page carries (a strict Content-Security-Policy: scripts and styles from this site only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from syndic.app import Syndic
from syndic.clock import iso
from syndic.money import Money
from syndic.web.session import csrf_token, current_viewer, remember_browser

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # a sign-in link's token is in its URL: never hand it to another site
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _percent(bp: int) -> str:
    return f"{bp / 100:g}%"


def _when(value: datetime | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return iso(value).replace("T", " ").removesuffix("Z") + " UTC"


def make_env() -> Environment:
    env = Environment(
        loader=PackageLoader("syndic.web", "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["percent"] = _percent
    env.filters["when"] = _when
    return env


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` with what every page needs: the coalition, the signed-in person,
    this browser's CSRF token, and a money formatter in the coalition's currency."""
    syndic: Syndic = request.app.state.syndic
    env: Environment = request.app.state.templates
    currency = syndic.settings.currency

    def money(minor: int, cur: str | None = None) -> str:
        return str(Money(int(minor), cur or currency))

    html = env.get_template(template).render(
        request=request,
        coalition=syndic.name,
        viewer=current_viewer(request),
        csrf=csrf_token(request),
        money=money,
        currency=currency,
        **context,
    )
    response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
    remember_browser(request, response)
    return response

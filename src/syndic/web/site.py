"""``create_site(syndic)``: the API (under ``/v1``) and the pages (at ``/``) in one FastAPI app.

The pages are server-rendered; their assets are served from ``/static`` by Syndic itself.
Errors on a page become an error page (status, one sentence, never a traceback, a key or a
token); errors under ``/v1`` stay the API's JSON.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from syndic.api.app import create_app
from syndic.app import Syndic
from syndic.errors import SyndicError
from syndic.web.jobs import Jobs
from syndic.web.pages import (
    licensee,
    member,
    member_evidence,
    member_votes,
    member_works,
    public,
    signin,
    steward,
)
from syndic.web.render import make_env, render
from syndic.web.session import cookies_for

STATIC = Path(__file__).with_name("static")
PAGE_ROUTERS = (
    public.router,
    signin.router,
    member.router,
    member_works.router,
    member_votes.router,
    member_evidence.router,
    licensee.router,
    steward.router,
)
log = logging.getLogger(__name__)

_TITLES = {
    401: "Please sign in",
    403: "Not yours to see",
    404: "Not found",
    409: "That cannot be done now",
    410: "This link no longer works",
    413: "Too large",
    422: "Please check what you entered",
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/v1")


def error_page(request: Request, status: int, message: str) -> Response:
    template = "signin/link_invalid.html" if status == 410 else "error.html"
    if status == 401:
        template = "signin/form.html"
    return render(
        request,
        template,
        status=status,
        title=_TITLES.get(status, "Something went wrong"),
        message=message,
    )


def create_site(syndic: Syndic) -> FastAPI:
    app = create_app(syndic)
    app.state.templates = make_env()
    app.state.cookies = cookies_for(syndic)
    app.state.jobs = Jobs()
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for r in PAGE_ROUTERS:
        app.include_router(r)
    api_handlers = dict(app.exception_handlers)

    async def on_syndic_error(request: Request, exc: Exception) -> Response:
        if _is_api(request) or not isinstance(exc, SyndicError):
            return await api_handlers[SyndicError](request, exc)  # type: ignore[no-any-return]
        return error_page(request, exc.status, exc.message if exc.status < 500 else _OOPS)

    async def on_invalid(request: Request, exc: Exception) -> Response:
        if _is_api(request):
            return await api_handlers[RequestValidationError](request, exc)  # type: ignore[no-any-return]
        return error_page(request, 422, "part of the form or address is missing or malformed")

    async def on_http(request: Request, exc: Exception) -> Response:
        if _is_api(request) or not isinstance(exc, HTTPException):
            return await api_handlers[HTTPException](request, exc)  # type: ignore[no-any-return]
        message = "there is no page at this address" if exc.status_code == 404 else _OOPS
        return error_page(request, exc.status_code, message)

    async def on_bug(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path)
        if _is_api(request):
            return await api_handlers[Exception](request, exc)  # type: ignore[no-any-return]
        return error_page(request, 500, _OOPS)

    app.add_exception_handler(SyndicError, on_syndic_error)
    app.add_exception_handler(RequestValidationError, on_invalid)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(Exception, on_bug)
    return app


_OOPS = "something went wrong on our side; the operator's log has the details"

"""``create_app(syndic)``: the FastAPI application, with errors mapped in one place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import Scope

from syndic import __version__
from syndic.api import docs, openapi
from syndic.api.deps import GuardedRoute
from syndic.api.routes import (
    deals,
    governance,
    keys,
    leverage,
    log,
    members,
    public,
    published,
    steward,
    valuation,
)
from syndic.app import Syndic
from syndic.errors import DatabaseBusy, SyndicError

HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}
"""Stable codes for the answers the router gives itself (no route, wrong method)."""


def _error(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    sent = dict(headers or {})
    if status == 401:
        sent.setdefault("WWW-Authenticate", 'Bearer realm="syndic"')
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=sent
    )


def _allowed(scope: Scope) -> str:
    """Every method some route serves at this path (a 405's ``Allow``), not only the first
    route's that matched the path."""
    methods: set[str] = set()
    for route in api_routes():
        if route.methods and route.matches(scope)[0] is not Match.NONE:
            methods |= route.methods
    return ", ".join(sorted(methods))


ROUTERS = (
    public.router,
    members.router,
    deals.router,
    governance.router,
    steward.router,
    log.router,
    published.router,
    valuation.router,
    keys.router,
    leverage.router,
)


def api_routes() -> list[GuardedRoute]:
    """Every route of the API, each as its router declares it (its path with any prefix)."""
    routes = [r for router in ROUTERS for r in router.routes]
    if not all(isinstance(r, GuardedRoute) for r in routes):
        raise TypeError("every API route is a GuardedRoute: it authorizes before anything else")
    return cast(list[GuardedRoute], routes)


def create_app(syndic: Syndic) -> FastAPI:
    app = FastAPI(
        title="Syndic",
        version=__version__,
        description="A trusted data intermediary's API.",
        docs_url=None,  # served below, from local assets: /docs works offline
        redoc_url=None,
    )
    app.state.syndic = syndic
    for r in ROUTERS:
        app.include_router(r)
    openapi.install(app, api_routes())
    docs.install(app)

    @app.exception_handler(SyndicError)
    async def _syndic_error(_req: Request, exc: SyndicError) -> JSONResponse:
        if isinstance(exc, DatabaseBusy):
            return _error(
                exc.status, exc.code, exc.message, {"Retry-After": str(exc.retry_after_s)}
            )
        return _error(exc.status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_req: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return _error(422, "invalid_input", f"{where}: {first.get('msg', 'invalid request')}")

    @app.exception_handler(HTTPException)
    async def _http(req: Request, exc: HTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = _allowed(req.scope)
        code = HTTP_CODES.get(exc.status_code, "http_error")
        return _error(exc.status_code, code, str(exc.detail), headers)

    @app.exception_handler(Exception)
    async def _internal(_req: Request, exc: Exception) -> JSONResponse:
        return _error(500, "internal_error", "internal error; the operator's log has details")

    return app

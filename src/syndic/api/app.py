"""``create_app(syndic)``: the FastAPI application, with errors mapped in one place."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from syndic import __version__
from syndic.api.routes import (
    deals,
    governance,
    leverage,
    log,
    members,
    public,
    published,
    steward,
    valuation,
)
from syndic.app import Syndic
from syndic.errors import SyndicError


def _error(status: int, code: str, message: str, **extra: object) -> JSONResponse:
    body: dict[str, object] = {"code": code, "message": message, **extra}
    headers = {"WWW-Authenticate": 'Bearer realm="syndic"'} if status == 401 else None
    return JSONResponse({"error": body}, status_code=status, headers=headers)


ROUTERS = (
    public.router,
    members.router,
    deals.router,
    governance.router,
    steward.router,
    log.router,
    published.router,
    valuation.router,
    leverage.router,
)


def create_app(syndic: Syndic) -> FastAPI:
    app = FastAPI(
        title="Syndic", version=__version__, description="A trusted data intermediary's API."
    )
    app.state.syndic = syndic
    for r in ROUTERS:
        app.include_router(r)

    @app.exception_handler(SyndicError)
    async def _syndic_error(_req: Request, exc: SyndicError) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_req: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return _error(422, "invalid_input", f"{where}: {first.get('msg', 'invalid request')}")

    @app.exception_handler(HTTPException)
    async def _http(_req: Request, exc: HTTPException) -> JSONResponse:
        return _error(exc.status_code, "http_error", str(exc.detail))

    @app.exception_handler(Exception)
    async def _internal(_req: Request, exc: Exception) -> JSONResponse:
        return _error(500, "internal_error", "internal error; the operator's log has details")

    return app

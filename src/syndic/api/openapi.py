"""The OpenAPI description says what the API really does: who may call each route (the
security scheme and ``x-roles``, from the same declaration the guard enforces), our error body
``{"error": {"code", "message"}}`` for every refusal (not FastAPI's validation error), and
the media types of the routes that answer with something other than JSON."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response

from syndic.api.deps import (
    BODY_METHODS,
    CLIENT_CREDENTIALS,
    LICENCE_TOKEN,
    MAX_BODY,
    PUBLIC,
    Access,
    GuardedRoute,
)

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "stable, for programs"},
                "message": {"type": "string", "description": "one line, for people"},
            },
        }
    },
}
_ERROR_REF = {"$ref": "#/components/schemas/Error"}

SECURITY_SCHEMES: dict[str, Any] = {
    "apiKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "an API key (`syk_...`) of a steward, member or licensee",
    },
    LICENCE_TOKEN: {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "a licence access token: `Authorization: License syl_...` (RSL)",
    },
    CLIENT_CREDENTIALS: {
        "type": "http",
        "scheme": "basic",
        "description": "OAuth client credentials: the licensee's id and its API key",
    },
}

WHY = {
    401: "no credential, or one that is forged, revoked or expired",
    403: "a valid credential that may not do this (or not to this resource)",
    404: "no such resource",
    405: "the path exists, the method does not (see `Allow`)",
    409: "the resource is not in a state that allows this",
    413: f"the request body is over its limit ({MAX_BODY} bytes; 64 KiB for OLP forms)",
    422: "the input was refused before anything was written",
    503: "the database is busy with another writer; nothing was written: retry",
}


def media(media_type: str, description: str = "") -> dict[str, Any]:
    """Route keyword arguments for an answer that is not JSON: its media type, documented."""
    return {
        "response_class": Response,
        "responses": {
            200: {
                "description": description or "OK",
                "content": {media_type: {"schema": {"type": "string"}}},
            }
        },
    }


def _security(access: Access) -> list[dict[str, list[str]]]:
    if access.scheme == CLIENT_CREDENTIALS:
        return [{CLIENT_CREDENTIALS: []}, {"apiKey": []}]
    if access.scheme is not None:
        return [{access.scheme: []}]
    if access.need is not None:
        return [{"apiKey": []}]
    return [{}, {"apiKey": []}] if access.optional else []


def _answers(route: GuardedRoute, method: str) -> list[int]:
    """The refusals a route can give, besides 422 and 503 (which every route can)."""
    codes: list[int] = []
    if route.access is not PUBLIC:
        codes.append(401)
    if route.access.need is not None:
        codes.append(403)
    if route.param_convertors or route.access.scheme == CLIENT_CREDENTIALS:
        codes.append(404)
    if method in BODY_METHODS:
        codes += [409, 413]
    return [*codes, 422, 503]


def _error_response(code: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "description": WHY[code],
        "content": {"application/json": {"schema": _ERROR_REF}},
    }
    if code == 503:
        out["headers"] = {
            "Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}
        }
    return out


def _document(route: GuardedRoute, method: str, op: dict[str, Any]) -> None:
    access = route.access
    op["security"] = _security(access)
    op["x-roles"] = access.who()
    who = "**Who:** " + ", ".join(access.who())
    op["description"] = f"{op.get('description', '').strip()}\n\n{who}".strip()
    responses = op.setdefault("responses", {})
    for code in _answers(route, method):
        responses[str(code)] = _error_response(code)


def build(app: FastAPI, routes: Sequence[GuardedRoute]) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Error"] = ERROR_SCHEMA
    components["securitySchemes"] = SECURITY_SCHEMES
    for route in routes:
        if not route.include_in_schema:
            continue
        for method in route.methods or ():
            op = schema["paths"].get(route.path_format, {}).get(method.lower())
            if op is not None:
                _document(route, method, op)
    return schema


def install(app: FastAPI, routes: Sequence[GuardedRoute]) -> None:
    """Serve ``build(app, routes)`` at ``/openapi.json``, built once."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app, routes)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

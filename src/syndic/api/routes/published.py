"""The terms files anyone may fetch, and the licence-token endpoint (RSL OLP style)."""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter, Request, Response

from syndic.api.bounds import MAX_ID
from syndic.api.deps import CLIENT_CREDENTIALS, GuardedRoute, SyndicDep, credential
from syndic.api.openapi import media
from syndic.errors import AuthError, InvalidInput
from syndic.gate.forms import parse_fields, read_body
from syndic.terms.formats import FILES

router = APIRouter(tags=["terms files"], route_class=GuardedRoute)
MAX_FORM = 64 * 1024


def _file(syndic: SyndicDep, path: str) -> Response:
    return Response(syndic.published_files()[path], media_type=FILES[path])


@router.get("/robots.txt", **media(FILES["robots.txt"]))
def robots_txt(syndic: SyndicDep) -> Response:
    """robots.txt with the AI crawler list, License, Content-Usage and Content-Signal."""
    return _file(syndic, "robots.txt")


@router.get("/license.xml", **media(FILES["license.xml"]))
def license_xml(syndic: SyndicDep) -> Response:
    """The terms in force as an RSL 1.0 licence (application/rsl+xml)."""
    return _file(syndic, "license.xml")


@router.get("/ai.txt", **media(FILES["ai.txt"]))
def ai_txt(syndic: SyndicDep) -> Response:
    return _file(syndic, "ai.txt")


@router.get("/.well-known/tdmrep.json", **media(FILES[".well-known/tdmrep.json"]))
def tdmrep(syndic: SyndicDep) -> Response:
    return _file(syndic, ".well-known/tdmrep.json")


@router.get("/tdm-policy.json", **media(FILES["tdm-policy.json"]))
def tdm_policy(syndic: SyndicDep) -> Response:
    return _file(syndic, "tdm-policy.json")


async def _form(request: Request) -> dict[str, str]:
    """The request's fields (form or JSON); over ``MAX_FORM`` bytes is refused (413) before
    more than that is read."""
    body = await read_body(
        request.stream(), limit=MAX_FORM, content_length=request.headers.get("content-length")
    )
    return parse_fields(body, request.headers.get("content-type", ""))


def _client(request: Request, form: dict[str, str]) -> tuple[str | None, str]:
    """The client's id (None when it sends none: a Bearer key) and secret (its API key)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id, colon, secret = (
                base64.b64decode(value, validate=True).decode().partition(":")
            )
        except (ValueError, UnicodeDecodeError) as exc:
            raise AuthError("malformed Basic credentials") from exc
        if not colon:
            raise AuthError("malformed Basic credentials: expected client_id:client_secret")
        return client_id, secret
    if scheme.lower() == "bearer" and value.strip():
        return None, value.strip()
    if form.get("client_secret"):
        return form.get("client_id"), form["client_secret"]
    raise AuthError("authenticate with HTTP Basic (client_id:client_secret = licensee id:API key)")


def _agreement_id(form: dict[str, str]) -> int | None:
    text = form.get("agreement_id")
    if text is None:
        return None
    if not text.isdigit() or not 1 <= int(text) <= MAX_ID:
        raise InvalidInput("agreement_id must be a whole number from 1 to 2^63-1")
    return int(text)


@router.post("/v1/olp/token", dependencies=[credential(CLIENT_CREDENTIALS)])
async def olp_token(request: Request, syndic: SyndicDep) -> dict[str, Any]:
    """A licence token for an active agreement (``grant_type`` client_credentials or rsl)."""
    form = await _form(request)
    client_id, secret = _client(request, form)
    issued = syndic.issue_licence_token(
        client_secret=secret,
        client_id=client_id,
        grant_type=form.get("grant_type", ""),
        license_xml=form.get("license"),
        usage=form.get("usage"),
        agreement_id=_agreement_id(form),
    )
    return {
        "access_token": issued.access_token,
        "token_type": issued.token_type,
        "expires_in": issued.expires_in,
        "agreement_id": issued.agreement_id,
        "scope": issued.scope,
    }


@router.post("/v1/olp/introspect")
async def olp_introspect(request: Request, syndic: SyndicDep) -> dict[str, Any]:
    """Whether a licence token is active, and what it grants (RFC 7662 style)."""
    form = await _form(request)
    token = form.get("token", "")
    g = syndic.introspect_token(token)
    if g is None:
        return {"active": False}
    return {
        "active": True,
        "token_type": "License",
        "agreement_id": g.agreement_id,
        "licensee_id": g.licensee_id,
        "scope": " ".join(g.usages),
        "exp": int(g.expires_at.timestamp()),
    }

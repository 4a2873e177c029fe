"""Real servers on loopback for the gate tests: an upstream site, the gate, a key directory."""

from __future__ import annotations

import asyncio
import base64
from contextlib import AbstractContextManager
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from syndic.api.serving import serving_app
from syndic.app import Syndic
from syndic.keys import public_b64
from syndic.members.service import NewWork
from syndic.terms.models import PaymentType, Terms, Usage


def serve(app: Any, **config: Any) -> AbstractContextManager[str]:
    """Run an ASGI app with uvicorn on a loopback port in a thread, for the block (the
    product's own way of serving, so the tests exercise it too)."""
    return serving_app(app, what="a test server", **config)


async def _page(request: Request) -> Response:
    return PlainTextResponse(f"page {request.path_params['rest']}", headers={"x-upstream": "yes"})


async def _echo(request: Request) -> Response:
    body = await request.body()
    return JSONResponse(
        {"bytes": len(body), "forwarded_for": request.headers.get("x-forwarded-for")}
    )


async def _fail(request: Request) -> Response:
    return PlainTextResponse("upstream broke", status_code=500)


async def _slow(request: Request) -> Response:
    await asyncio.sleep(5)
    return PlainTextResponse("late")


def upstream_app() -> Starlette:
    return Starlette(
        routes=[
            Route("/public/echo", _echo, methods=["POST"]),
            Route("/fail", _fail),
            Route("/public/slow", _slow),
            Route("/{rest:path}", _page),
        ]
    )


def jwks_app(jwks: dict[str, Any]) -> Starlette:
    async def directory(request: Request) -> Response:
        return JSONResponse(jwks)

    return Starlette(routes=[Route("/.well-known/http-message-signatures-directory", directory)])


TERMS = Terms(
    permits=frozenset({Usage.AI_TRAIN, Usage.SEARCH}),
    payment_type=PaymentType.TRAINING,
    amount_minor=100_000,
    currency="EUR",
)


def active_agreement(
    s: Syndic, *, permits: frozenset[Usage] = TERMS.permits
) -> tuple[int, int, int]:
    """(member id, licensee id, agreement id): one member, one work, a signed agreement,
    made through the deals service the way a real round makes it."""
    s.terms.publish(TERMS)
    m = s.members.join(handle="alice", name="Alice", payout_account="iban:A")
    s.members.register_work(
        NewWork(b"a paper about gates", "Gates", "text", "papers", [(m.id, 10_000)], {}),
        registered_by=m.id,
    )
    lab_key = Ed25519PrivateKey.generate()
    lic = s.deals.register_licensee(
        name="Lab", contact="lab@example.org", public_key=public_b64(lab_key)
    )
    terms = TERMS.model_copy(update={"permits": permits})
    deal = s.deals.offer(licensee_id=lic.id, terms=terms, actor=f"licensee:{lic.id}")
    s.deals.open_vote(deal.id)
    s.deals.cast_vote(deal.id, member_id=m.id, choice="yes")
    s.deals.close_vote(deal.id, force=True)
    a = s.deals.sign(deal.id)
    signature = base64.b64encode(lab_key.sign(s.deals.agreement_document(a.id))).decode()
    s.deals.countersign(a.id, signature, licensee_id=lic.id, actor=f"licensee:{lic.id}")
    return m.id, lic.id, a.id

"""The gate as ASGI middleware: wrap any Starlette/FastAPI app (or the reverse proxy).

    app = GateMiddleware(app, gate)

Refusals are answered here with ``{"error": {"code", "message"}}``; admitted requests go
to the wrapped app, and the terms headers (``Link rel=license``, ``X-Robots-Tag``, ...)
are added to its response. A charged request is booked (ledger posting and decision, one
transaction) when the wrapped app starts a 2xx response, before that response is sent;
a non-2xx response is not charged.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from sqlalchemy.exc import IntegrityError as DBIntegrityError
from sqlalchemy.orm import Session

from syndic.errors import SyndicError
from syndic.gate import paypercrawl as ppc
from syndic.gate.decide import Decision, Gate, Request
from syndic.gate.journal import DecisionRecord
from syndic.gate.models import SpentChallenge
from syndic.gate.pow import COOKIE, REDEEM_PATH, ChallengeError, client_id

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyTooLarge(Exception):
    pass


def _request(scope: Scope) -> Request:
    headers: dict[str, str] = {}
    for k, v in scope["headers"]:
        name = k.decode("latin-1").lower()
        value = v.decode("latin-1")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    client = scope.get("client") or ("", 0)
    return Request(
        method=scope["method"],
        scheme=scope.get("scheme", "http"),
        authority=headers.get("host", "").lower(),
        # the raw (still percent-encoded) path: what robots.txt patterns and upstreams expect
        path=(scope.get("raw_path") or scope["path"].encode("utf-8")).decode("latin-1"),
        query=scope.get("query_string", b"").decode("latin-1"),
        headers=headers,
        client=str(client[0]),
    )


async def send_error(
    send: Send, status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    await _send_body(send, status, body, headers or {})


async def _send_body(send: Send, status: int, body: bytes, headers: dict[str, str]) -> None:
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class GateMiddleware:
    def __init__(self, app: ASGIApp, gate: Gate) -> None:
        self.app = app
        self.gate = gate
        extra = dict(gate.s.terms_headers) if gate.policy.terms_headers else {}
        self._extra = [(k.lower().encode(), v.encode("latin-1")) for k, v in extra.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.gate.journal.start()
        p = self.gate.policy
        size = sum(len(k) + len(v) for k, v in scope["headers"])
        if size > p.max_header_bytes:
            await send_error(
                send, 431, "headers_too_large", f"request headers exceed {p.max_header_bytes} bytes"
            )
            return
        req = _request(scope)
        length = req.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > p.max_body):
            status, why = (
                (400, "malformed Content-Length")
                if not length.isdigit()
                else (
                    413,
                    f"request body exceeds {p.max_body} bytes",
                )
            )
            await send_error(
                send, status, "body_too_large" if status == 413 else "bad_request", why
            )
            return
        if req.path == REDEEM_PATH and req.method == "POST":
            await self._redeem(req, receive, send)
            return
        try:
            d = await self.gate.decide(req)
        except SyndicError as exc:
            await send_error(send, exc.status, exc.code, exc.message)
            return
        if not d.forward:
            self.gate.journal.add(self.gate.record(req, d, d.status))
            await _send_body(send, d.status, d.body(), d.headers)
            return
        await self._forward(scope, receive, send, req, d)

    async def _forward(
        self, scope: Scope, receive: Receive, send: Send, req: Request, d: Decision
    ) -> None:
        gate = self.gate
        state: dict[str, Any] = {"started": False, "swallow": False, "status": 0}
        budget = [gate.policy.max_body]

        async def limited_receive() -> Message:
            msg = await receive()
            if msg["type"] == "http.request":
                budget[0] -= len(msg.get("body", b""))
                if budget[0] < 0:
                    raise BodyTooLarge
            return msg

        async def wrapped_send(msg: Message) -> None:
            if state["swallow"]:
                return
            if msg["type"] == "http.response.start":
                status = int(msg["status"])
                state["status"] = status
                headers = list(msg.get("headers", [])) + self._extra
                rec = gate.record(req, d, status)
                if d.charge is not None and 200 <= status < 300:
                    rec.charged_minor, rec.currency = d.charge.minor, d.charge.currency
                    rec.charge_nonce = d.charge_nonce
                    try:
                        await asyncio.to_thread(gate.journal.record_now, rec, self._posting(rec))
                    except DBIntegrityError:
                        state["swallow"] = True
                        await send_error(
                            send,
                            400,
                            "bad_request",
                            "this signed request was already charged (replay)",
                            {ppc.ERROR: "InvalidSignature"},
                        )
                        return
                    headers.append((ppc.CHARGED.encode(), str(d.charge).encode()))
                else:
                    if d.charge is not None:
                        rec.outcome = "not-charged"
                    gate.journal.add(rec)
                state["started"] = True
                msg = {**msg, "headers": headers}
            await send(msg)

        try:
            await self.app(scope, limited_receive, wrapped_send)
        except BodyTooLarge:
            if not state["started"]:
                rec = gate.record(req, d, 413)
                rec.outcome = "bad-request"
                gate.journal.add(rec)
                await send_error(
                    send,
                    413,
                    "body_too_large",
                    f"request body exceeds {gate.policy.max_body} bytes",
                )

    def _posting(self, rec: DecisionRecord) -> Callable[[Session], None]:
        """The charge as owed by the crawler: ``receivable:crawler:<agent>`` against
        ``crawl:charged:<site>``. It is not ``revenue:`` until collected (collecting from
        crawlers and paying the site's member are not built yet)."""
        gate = self.gate

        def post(s: Session) -> None:
            assert rec.currency is not None
            gate.s.ledger.post(
                s,
                memo=f"pay per crawl: {rec.site} {rec.path[:200]}",
                lines=[
                    (f"receivable:crawler:{rec.agent}"[:120], rec.charged_minor),
                    (f"crawl:charged:{rec.site}", -rec.charged_minor),
                ],
                currency=rec.currency,
                actor=rec.agent,
            )

        return post

    async def _redeem(self, req: Request, receive: Receive, send: Send) -> None:
        """POST challenge + nonce: a pass cookie for this client, once per challenge."""
        body = b""
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if len(body) > 4096:
                await send_error(send, 413, "body_too_large", "a solution is a few hundred bytes")
                return
            if not msg.get("more_body"):
                break
        try:
            if req.headers.get("content-type", "").startswith("application/json"):
                doc = json.loads(body or b"{}")
                challenge, nonce = str(doc.get("challenge", "")), str(doc.get("nonce", ""))
            else:
                form = parse_qs(body.decode("utf-8", "replace"))
                challenge = form.get("challenge", [""])[0]
                nonce = form.get("nonce", [""])[0]
        except (ValueError, AttributeError):
            await send_error(send, 400, "bad_request", "send challenge and nonce (form or JSON)")
            return
        gate = self.gate
        now = int(gate.now().timestamp())
        who = client_id(req.client, req.headers.get("user-agent", ""))
        d = Decision("challenge-passed", "pow", 200, agent="unknown")
        try:
            ch = gate.pow.check(challenge, nonce, client=who, now=now)

            def spend(s: Session) -> None:
                s.add(SpentChallenge(challenge_id=ch.id, spent_at=gate.now()))
                s.flush()

            await asyncio.to_thread(gate.journal.record_now, gate.record(req, d, 200), spend)
        except ChallengeError as exc:
            d.outcome, d.status = "challenge-failed", exc.status
            gate.journal.add(gate.record(req, d, exc.status))
            await send_error(send, exc.status, exc.code, exc.message)
            return
        except DBIntegrityError:
            d.outcome, d.status = "challenge-failed", 401
            gate.journal.add(gate.record(req, d, 401))
            await send_error(send, 401, "challenge_invalid", "challenge has already been used")
            return
        ttl = gate.policy.pow.pass_ttl_s
        cookie = gate.pow.pass_cookie(client=who, now=now, ttl_s=ttl)
        await _send_body(
            send,
            200,
            json.dumps({"pass": cookie, "expires_in": ttl}).encode(),
            {"Set-Cookie": f"{COOKIE}={cookie}; Max-Age={ttl}; Path=/; HttpOnly; SameSite=Lax"},
        )

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def wrapped_receive() -> Message:
            msg = await receive()
            if msg["type"] == "lifespan.shutdown":
                await self.gate.journal.aclose()
                await self.gate.keys.aclose()
            return msg

        await self.app(scope, wrapped_receive, send)

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
import hashlib
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError as DBIntegrityError
from sqlalchemy.orm import Session

from syndic.errors import Conflict, InvalidInput, SyndicError, TooLarge
from syndic.gate import paypercrawl as ppc
from syndic.gate.challenge_page import challenge_page, wants_html
from syndic.gate.decide import Decision, Gate, Request
from syndic.gate.forms import parse_fields, read_body
from syndic.gate.journal import DecisionRecord
from syndic.gate.licensing import bearer_of
from syndic.gate.models import SpentChallenge
from syndic.gate.pow import COOKIE, REDEEM_PATH, ChallengeError, client_id
from syndic.payouts.crawl import charged_account, receivable_account

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


log = logging.getLogger(__name__)
# a unique key refusing a row: the database's error, or ours once Database.write translates it
DUPLICATE = (DBIntegrityError, Conflict)
MAX_SOLUTION = 4096  # bytes of a proof-of-work solution (challenge and nonce)
_ENCODED_SLASH = re.compile(r"%2F|%5C")


class BodyTooLarge(Exception):
    """Raised from ``receive`` once a forwarded body passes ``max_body``."""


def _bad(status: int, code: str, message: str, **kw: Any) -> Decision:
    """A refusal answered at the edge, before (or instead of) a rule's decision."""
    outcome = "error" if status >= 500 else "bad-request"
    return Decision(outcome, "limits", status, False, code, message, **kw)


def _reservation_id(charge_nonce: str) -> str:
    return hashlib.sha256(f"charge:{charge_nonce}".encode()).hexdigest()


def _without_credentials(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The request headers minus what is the gate's, not the site's: an ``Authorization:
    License`` token and the ``syndic_pass`` cookie (other cookies are kept)."""
    out = []
    for k, v in headers:
        name = k.lower()
        if name == b"authorization" and bearer_of(v.decode("latin-1")) is not None:
            continue
        if name == b"cookie":
            kept = [c.strip() for c in v.split(b";") if c.strip()]
            rest = b"; ".join(c for c in kept if c.partition(b"=")[0] != COOKIE.encode())
            if rest:
                out.append((k, rest))
            continue
        out.append((k, v))
    return out


async def _chunks(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        msg = await receive()
        if msg["type"] != "http.request":
            return
        yield msg.get("body", b"")
        if not msg.get("more_body"):
            return


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


async def _send_body(
    send: Send,
    status: int,
    body: bytes,
    headers: dict[str, str],
    content_type: str = "application/json",
) -> None:
    raw = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
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
        req = _request(scope)
        size = sum(len(k) + len(v) for k, v in scope["headers"])
        if size > p.max_header_bytes:
            msg = f"request headers exceed {p.max_header_bytes} bytes"
            await self._answer(send, req, _bad(431, "headers_too_large", msg))
            return
        length = req.headers.get("content-length")
        if length is not None and not length.isdigit():
            await self._answer(send, req, _bad(400, "bad_request", "malformed Content-Length"))
            return
        if length is not None and int(length) > p.max_body:
            msg = f"request body exceeds {p.max_body} bytes"
            await self._answer(send, req, _bad(413, "body_too_large", msg))
            return
        if _ENCODED_SLASH.search(req.normal_path):
            # what an upstream makes of %2F or %5C varies: the path rules could not be trusted
            msg = "an encoded slash or backslash in the path is refused"
            await self._answer(send, req, _bad(400, "bad_request", msg))
            return
        if req.normal_path == REDEEM_PATH and req.method == "POST":
            await self._redeem(req, receive, send)
            return
        try:
            d = await self.gate.decide(req)
        except SyndicError as exc:
            await self._answer(send, req, _bad(exc.status, exc.code, exc.message))
            return
        except Exception:  # a bug, not the client's fault: log it, answer JSON, record it
            log.exception("the gate could not decide %s %s", req.method, req.normal_path[:200])
            d = _bad(500, "internal_error", "internal error; the operator's log has details")
            d.outcome = "error"
            await self._answer(send, req, d)
            return
        if not d.forward:
            await self._answer(send, req, d)
            return
        await self._forward(scope, receive, send, req, d)

    async def _answer(self, send: Send, req: Request, d: Decision) -> None:
        """Answer ``d`` here (nothing is forwarded) and record it. A browser that is asked
        for a proof of work gets a page that solves it (the same status and headers)."""
        self.gate.journal.add(self.gate.record(req, d, d.status))
        if d.challenge is not None and wants_html(req.headers.get("accept", "")):
            page = challenge_page(
                site=self.gate.policy.site, challenge=d.challenge, difficulty=d.difficulty
            )
            await _send_body(send, d.status, page, d.headers, "text/html; charset=utf-8")
            return
        await _send_body(send, d.status, d.body(), d.headers)

    async def _forward(
        self, scope: Scope, receive: Receive, send: Send, req: Request, d: Decision
    ) -> None:
        gate = self.gate
        reservation = None
        if d.charge is not None:
            assert d.charge_nonce is not None
            reservation = _reservation_id(d.charge_nonce)
            try:
                await asyncio.to_thread(self._reserve, reservation)
            except DUPLICATE:
                # a replay: refused before the site behind the gate ever sees it
                d = gate.crawler_error(
                    d.rule, ppc.invalid_signature("this signed request was already used (replay)")
                )
                await self._answer(send, req, d)
                return
        state: dict[str, Any] = {"started": False, "swallow": False, "answered": False}
        booked = [False]
        budget = [gate.policy.max_body]

        async def refuse_now(status: int, code: str, message: str, **kw: Any) -> None:
            """Answer the client ourselves; whatever the app sends after is dropped."""
            state["swallow"] = True
            if not state["started"]:
                state["answered"] = True
                await self._answer(send, req, _bad(status, code, message, **kw))

        async def limited_receive() -> Message:
            msg = await receive()
            if msg["type"] == "http.request":
                budget[0] -= len(msg.get("body", b""))
                if budget[0] < 0:
                    # answered here, not by raising alone: an app with its own error handler
                    # (Starlette's ServerErrorMiddleware) would turn the exception into a 500
                    msg_ = f"request body exceeds {gate.policy.max_body} bytes"
                    await refuse_now(413, "body_too_large", msg_)
                    raise BodyTooLarge
            return msg

        async def wrapped_send(msg: Message) -> None:
            if state["swallow"]:
                return
            if msg["type"] == "http.response.start":
                status = int(msg["status"])
                headers = list(msg.get("headers", [])) + self._extra
                rec = gate.record(req, d, status)
                if d.charge is not None and 200 <= status < 300:
                    rec.charged_minor, rec.currency = d.charge.minor, d.charge.currency
                    rec.charge_nonce = d.charge_nonce
                    try:
                        await asyncio.to_thread(gate.journal.record_now, rec, self._posting(rec))
                    except Exception:
                        # no booking, no content: the crawler is not charged and may retry
                        log.exception("a pay-per-crawl charge could not be booked")
                        await refuse_now(
                            503, "charge_failed", "the charge could not be booked; retry later"
                        )
                        return
                    booked[0] = True
                    headers.append((ppc.CHARGED.encode(), str(d.charge).encode()))
                else:
                    if d.charge is not None:
                        rec.outcome = "not-charged"
                    gate.journal.add(rec)
                state["started"] = True
                msg = {**msg, "headers": headers}
            await send(msg)

        forwarded = {**scope, "headers": _without_credentials(scope["headers"])}
        try:
            await self.app(forwarded, limited_receive, wrapped_send)
        except Exception as exc:
            if state["answered"]:
                return  # we answered (413); the app's own reaction to that is moot
            if not state["started"] and isinstance(exc, BodyTooLarge):
                msg_ = f"request body exceeds {gate.policy.max_body} bytes"
                await self._answer(send, req, _bad(413, "body_too_large", msg_))
                return
            raise
        finally:
            if reservation is not None and not booked[0]:
                # not charged (non-2xx, too large, an error): the nonce may be used again
                await asyncio.to_thread(self._release, reservation)

    def _reserve(self, reservation: str) -> None:
        """Hold a paid request's nonce before forwarding it (a unique key: a replay fails)."""
        with self.gate.s.db.write() as s:
            s.add(SpentChallenge(challenge_id=reservation, spent_at=self.gate.now()))
            s.flush()

    def _release(self, reservation: str) -> None:
        try:
            with self.gate.s.db.write() as s:
                s.execute(delete(SpentChallenge).where(SpentChallenge.challenge_id == reservation))
        except Exception:  # the nonce stays held: the crawler signs a new request, never charged
            log.exception("a pay-per-crawl nonce could not be released")

    def _posting(self, rec: DecisionRecord) -> Callable[[Session], None]:
        """The charge as owed by the crawler: its receivable account against the site's
        charged account. Money collected from the crawler's operator later goes to the site's
        member (``syndic payout crawl-collect``; payouts/crawl.py names both accounts)."""
        gate = self.gate

        def post(s: Session) -> None:
            assert rec.currency is not None
            gate.s.ledger.post(
                s,
                memo=f"pay per crawl: {rec.site} {rec.path[:200]}",
                lines=[
                    (receivable_account(rec.agent), rec.charged_minor),
                    (charged_account(rec.site), -rec.charged_minor),
                ],
                currency=rec.currency,
                actor=rec.agent,
            )

        return post

    async def _redeem(self, req: Request, receive: Receive, send: Send) -> None:
        """POST challenge + nonce: a pass cookie for this client, once per challenge."""
        try:
            body = await read_body(
                _chunks(receive),
                limit=MAX_SOLUTION,
                content_length=req.headers.get("content-length"),
            )
            fields = parse_fields(body, req.headers.get("content-type", ""))
        except TooLarge:
            msg = f"a solution is a few hundred bytes (at most {MAX_SOLUTION})"
            await self._answer(send, req, _bad(413, "body_too_large", msg))
            return
        except InvalidInput as exc:
            msg = f"send challenge and nonce (form or JSON): {exc.message}"
            await self._answer(send, req, _bad(400, "bad_request", msg))
            return
        challenge, nonce = fields.get("challenge", ""), fields.get("nonce", "")
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
        except DUPLICATE:
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

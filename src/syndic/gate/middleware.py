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
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any
from urllib.parse import unquote

from syndic.errors import ChallengeError, InvalidInput, SyndicError, TooLarge
from syndic.gate import paypercrawl as ppc
from syndic.gate.challenge_page import challenge_page, wants_html
from syndic.gate.decide import Decision, Outcome, Request, crawler_error
from syndic.gate.forms import parse_fields, read_body
from syndic.gate.licensing import bearer_of
from syndic.gate.pow import COOKIE, REDEEM_PATH, client_id
from syndic.gate.service import Gate
from syndic.gate.target import AmbiguousTarget

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


log = logging.getLogger(__name__)
MAX_SOLUTION = 4096  # bytes of a proof-of-work solution (challenge and nonce)
METRICS_PATH = "/.well-known/syndic/metrics"
# How a server runs the gate in front of a site (``syndic gate``): with no Date or Server
# header of its own, so a forwarded response carries the site's one Date and one Server
# (RFC 9110 6.6.1, 10.2.4), and the gate dates its own answers (``date_header=True``).
SERVER_OPTIONS: dict[str, Any] = {"server_header": False, "date_header": False}
LOOPBACK = frozenset({"127.0.0.1", "::1"})


class BodyTooLarge(Exception):
    """Raised from ``receive`` once a forwarded body passes ``max_body``."""


def _bad(status: int, code: str, message: str, **kw: Any) -> Decision:
    """A refusal answered at the edge, before (or instead of) a rule's decision."""
    outcome = Outcome.ERROR if status >= 500 else Outcome.BAD_REQUEST
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


def _limits(scope: Scope, req: Request, gate: Gate) -> Decision | None:
    """A refusal for a request over the policy's limits or with a path we cannot trust."""
    p = gate.policy
    if sum(len(k) + len(v) for k, v in scope["headers"]) > p.max_header_bytes:
        return _bad(431, "headers_too_large", f"request headers exceed {p.max_header_bytes} bytes")
    length = req.headers.get("content-length")
    if length is not None and not length.isdigit():
        return _bad(400, "bad_request", "malformed Content-Length")
    if length is not None and int(length) > p.max_body:
        return _bad(413, "body_too_large", f"request body exceeds {p.max_body} bytes")
    try:
        req.normal_target  # noqa: B018  (computed once: what is decided on and forwarded)
    except AmbiguousTarget as exc:
        # what a site makes of such a spelling varies: the path rules could not be trusted
        return _bad(400, "bad_request", str(exc))
    return None


def _normalised(scope: Scope, req: Request) -> Scope:
    """The scope sent on: the normal target the decision was made on (never the raw one,
    which a site could read as another path) and the headers minus the gate's own."""
    path, _, query = req.normal_target.partition("?")
    return {
        **scope,
        "path": unquote(path),
        "raw_path": path.encode("ascii"),
        "query_string": query.encode("ascii"),
        "headers": _without_credentials(scope["headers"]),
    }


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


@dataclass
class _Exchange:
    """One forwarded request's state while the wrapped app answers it."""

    req: Request
    d: Decision
    budget: int
    started: bool = False  # the app's response has begun (status sent on)
    swallow: bool = False  # we answered: drop what the app sends
    answered: bool = False
    booked: bool = False  # the charge is booked: keep the nonce
    extra: list[tuple[bytes, bytes]] = field(default_factory=list)


def _dated(send: Send) -> Send:
    """``send``, adding a ``Date`` to a response that has none."""

    async def dated_send(msg: Message) -> None:
        if msg["type"] == "http.response.start":
            headers = list(msg.get("headers", []))
            if not any(k.lower() == b"date" for k, _ in headers):
                headers.append((b"date", formatdate(usegmt=True).encode()))
                msg = {**msg, "headers": headers}
        await send(msg)

    return dated_send


class GateMiddleware:
    """``date_header``: add ``Date`` to every response without one; for a server run with
    ``SERVER_OPTIONS`` (which then adds none), so each response has exactly one."""

    def __init__(self, app: ASGIApp, gate: Gate, *, date_header: bool = False) -> None:
        self.app = app
        self.gate = gate
        self.date_header = date_header
        extra = dict(gate.setup.terms_headers) if gate.policy.terms_headers else {}
        self._extra = [(k.lower().encode(), v.encode("latin-1")) for k, v in extra.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.date_header:
            send = _dated(send)
        self.gate.port.start()
        req = _request(scope)
        refused = _limits(scope, req, self.gate)
        if refused is not None:
            await self._answer(send, req, refused)
        elif req.normal_path == REDEEM_PATH and req.method == "POST":
            await self._redeem(req, receive, send)
        elif req.normal_path == METRICS_PATH and req.method == "GET" and req.client in LOOPBACK:
            await self._metrics(send)
        else:
            d = await self._decide(req)
            if d.forward:
                await self._forward(scope, receive, send, req, d)
            else:
                await self._answer(send, req, d)

    async def _decide(self, req: Request) -> Decision:
        try:
            return await self.gate.decide(req)
        except SyndicError as exc:
            return _bad(exc.status, exc.code, exc.message)
        except Exception:  # a bug, not the client's fault: log it, answer JSON, record it
            log.exception("the gate could not decide %s %s", req.method, req.normal_path[:200])
            return _bad(500, "internal_error", "internal error; the operator's log has details")

    async def _answer(self, send: Send, req: Request, d: Decision) -> None:
        """Answer ``d`` here (nothing is forwarded) and record it. A browser that is asked
        for a proof of work gets a page that solves it (the same status and headers)."""
        self.gate.port.record(self.gate.record(req, d, d.status))
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
            if not await asyncio.to_thread(
                gate.port.reserve_nonce, reservation, at=gate.setup.clock.now()
            ):
                # a replay: refused before the site behind the gate ever sees it
                why = ppc.invalid_signature("this signed request was already used (replay)")
                await self._answer(send, req, crawler_error(gate.policy, d.rule, why))
                return
        x = _Exchange(req, d, gate.policy.max_body, extra=self._extra)
        forwarded = _normalised(scope, req)
        try:
            await self.app(forwarded, self._receiving(x, receive, send), self._sending(x, send))
        except Exception as exc:
            if x.answered:
                return  # we answered (413); the app's own reaction to that is moot
            if not x.started and isinstance(exc, BodyTooLarge):
                await self._refuse_now(x, send, 413, "body_too_large", self._too_large())
                return
            raise
        finally:
            if reservation is not None and not x.booked:
                # not charged (non-2xx, too large, an error): the nonce may be used again
                await asyncio.to_thread(gate.port.release_nonce, reservation)

    def _too_large(self) -> str:
        return f"request body exceeds {self.gate.policy.max_body} bytes"

    async def _refuse_now(self, x: _Exchange, send: Send, status: int, code: str, msg: str) -> None:
        """Answer the client ourselves; whatever the app sends after is dropped."""
        x.swallow = True
        if not x.started:
            x.answered = True
            await self._answer(send, x.req, _bad(status, code, msg))

    def _receiving(self, x: _Exchange, receive: Receive, send: Send) -> Receive:
        async def limited_receive() -> Message:
            msg = await receive()
            if msg["type"] == "http.request":
                x.budget -= len(msg.get("body", b""))
                if x.budget < 0:
                    # answered here, not by raising alone: an app with its own error handler
                    # (Starlette's ServerErrorMiddleware) would turn the exception into a 500
                    await self._refuse_now(x, send, 413, "body_too_large", self._too_large())
                    raise BodyTooLarge
            return msg

        return limited_receive

    def _sending(self, x: _Exchange, send: Send) -> Send:
        async def wrapped_send(msg: Message) -> None:
            if x.swallow:
                return
            if msg["type"] == "http.response.start":
                headers = await self._start(x, send, int(msg["status"]))
                if headers is None:
                    return
                x.started = True
                msg = {**msg, "headers": list(msg.get("headers", [])) + headers}
            await send(msg)

        return wrapped_send

    async def _start(
        self, x: _Exchange, send: Send, status: int
    ) -> list[tuple[bytes, bytes]] | None:
        """Record the decision as the app's response starts, booking a charge for a 2xx;
        the headers to add, or None when the charge could not be booked (we answered)."""
        d, gate = x.d, self.gate
        rec = gate.record(x.req, d, status)
        if d.charge is None or not 200 <= status < 300:
            if d.charge is not None:
                rec.outcome = Outcome.NOT_CHARGED
            gate.port.record(rec)
            return list(x.extra)
        rec.charged_minor, rec.currency = d.charge.minor, d.charge.currency
        rec.charge_nonce = d.charge_nonce
        try:
            await asyncio.to_thread(gate.port.book_charge, rec)
        except Exception:
            # no booking, no content: the crawler is not charged and may retry
            log.exception("a pay-per-crawl charge could not be booked")
            msg = "the charge could not be booked; retry later"
            await self._refuse_now(x, send, 503, "charge_failed", msg)
            return None
        x.booked = True
        return [*x.extra, (ppc.CHARGED.encode(), str(d.charge).encode())]

    async def _metrics(self, send: Send) -> None:
        """The decision journal's counters in the Prometheus text format (loopback only)."""
        site = self.gate.policy.site
        lines = []
        for name, value in self.gate.port.metrics().items():
            kind = "gauge" if name == "pending" else "counter"
            metric = f"syndic_gate_decisions_{name}" + ("_total" if kind == "counter" else "")
            lines += [f"# TYPE {metric} {kind}", f'{metric}{{site="{site}"}} {value}']
        body = ("\n".join(lines) + "\n").encode()
        await _send_body(send, 200, body, {}, "text/plain; version=0.0.4")

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
        gate = self.gate
        now = gate.now_s()
        who = client_id(req.client, req.headers.get("user-agent", ""))
        try:
            await self._spend(req, fields, who, now)
        except ChallengeError as exc:
            d = Decision(Outcome.CHALLENGE_FAILED, "pow", exc.status)
            gate.port.record(gate.record(req, d, exc.status))
            await send_error(send, exc.status, exc.code, exc.message)
            return
        ttl = gate.policy.pow.pass_ttl_s
        cookie = gate.pow.pass_cookie(client=who, now=now, ttl_s=ttl)
        await _send_body(
            send,
            200,
            json.dumps({"pass": cookie, "expires_in": ttl}).encode(),
            {"Set-Cookie": f"{COOKIE}={cookie}; Max-Age={ttl}; Path=/; HttpOnly; SameSite=Lax"},
        )

    async def _spend(self, req: Request, fields: dict[str, str], who: str, now: int) -> None:
        """Check a solution and spend its challenge, with its decision; ``ChallengeError``
        when it is wrong or already spent."""
        gate = self.gate
        ch = gate.pow.check(
            fields.get("challenge", ""), fields.get("nonce", ""), client=who, now=now
        )
        d = Decision(Outcome.CHALLENGE_PASSED, "pow", 200)
        if not await asyncio.to_thread(gate.port.spend_challenge, ch.id, gate.record(req, d, 200)):
            raise ChallengeError("challenge has already been used")

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def wrapped_receive() -> Message:
            msg = await receive()
            if msg["type"] == "lifespan.shutdown":
                await self.gate.aclose()
            return msg

        await self.app(scope, wrapped_receive, send)

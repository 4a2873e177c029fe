"""The gate's refusals over real HTTP on loopback: signatures for another site or valid too
long, paths spelt another way, untrusted Signature-Agents, credentials kept from the
upstream, replays that never reach it, limits, slow upstreams, and every refusal that had
no test of its own."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from syndic.api.app import create_app
from syndic.app import Syndic
from syndic.auth.service import Role
from syndic.gate.botauth import Message, jwk_of, jwk_thumbprint, sign_request
from syndic.gate.keydir import UNUSABLE
from syndic.gate.middleware import GateMiddleware
from syndic.gate.models import GateDecision
from syndic.gate.policy import parse_policy
from syndic.gate.service import Gate
from syndic.payouts.ledger import Ledger
from syndic.testing import ManualClock
from tests.conftest import MakeSyndic
from tests.integration.gate.helpers import active_agreement, serve, upstream_app

BASE = """
site: alice-site
hosts: [127.0.0.1]
member: {member}
price: EUR 0.05
licence_cache_seconds: 0
pow: {{difficulty: 1, ttl: 60}}
web_bot_auth: {{allow_http_directories: true, allow_private_directories: {private}, keys: {keys}}}
limits: {{max_body: 1000, upstream_timeout: {timeout}, upstream_deadline: {deadline}}}
rules:
"""
RULES = """
  - name: licensed
    if: {licence: present}
    then: license
  - name: pay-per-crawl
    if: {any: [{payment: offered}, {signed: true}]}
    then: charge
  - name: private
    if: {path: /private}
    then: refuse
  - name: public
    if: {path: /public/*}
    then: pass
  - name: everyone-else
    if: {always: true}
    then: challenge
"""


class Counting:
    """An upstream (or key directory) that counts its requests and echoes what it saw."""

    def __init__(self, answer: Any = None) -> None:
        self.hits: list[str] = []
        self.seen: list[dict[str, Any]] = []
        self.answer = answer

    async def endpoint(self, request: Request) -> Response:
        self.hits.append(f"{request.method} {request.url.path}")
        self.seen.append(
            {
                "authorization": request.headers.get("authorization"),
                "cookie": request.headers.get("cookie"),
                "x-forwarded-for": request.headers.getlist("x-forwarded-for"),
            }
        )
        if self.answer is not None:
            return JSONResponse(self.answer)
        if request.url.path == "/fail":
            return PlainTextResponse("broken", status_code=500)
        return JSONResponse(self.seen[-1])

    def app(self) -> Starlette:
        methods = ["GET", "POST", "DELETE", "PUT"]
        return Starlette(routes=[Route("/{p:path}", self.endpoint, methods=methods)])


@dataclass
class G:
    s: Syndic
    clock: ManualClock
    gate: Gate
    url: str
    http: httpx.Client
    upstream: Counting
    directory: Counting
    directory_url: str
    key: Ed25519PrivateKey
    member: int
    agreement: int

    def sign(
        self,
        path: str,
        extra: dict[str, str] | None = None,
        *,
        nonce: str | None = "n1",
        authority: str | None = None,
        expires_in: int = 300,
        agent: str | None = "directory",
        key: Ed25519PrivateKey | None = None,
        method: str = "GET",
    ) -> dict[str, str]:
        headers = dict(extra or {})
        now = int(self.clock.now().timestamp())
        base = f"http://{authority}" if authority else self.url
        sig = sign_request(
            Message.of_url(method, base + path, headers),
            key or self.key,
            created=now,
            expires=now + expires_in,
            nonce=nonce,
            agent=self.directory_url if agent == "directory" else agent,
            extra=list(headers),
        )
        return {**headers, **sig, "User-Agent": "ExampleCrawler/1.0"}

    def charged(self) -> int:
        with self.s.db.read() as sess:
            return -Ledger.balance(sess, "crawl:charged:alice-site")

    def decisions(self) -> list[tuple[str, str, int]]:
        self.gate.port.flush()
        with self.s.db.read() as sess:
            rows = sess.execute(
                select(GateDecision.outcome, GateDecision.rule, GateDecision.status).order_by(
                    GateDecision.id
                )
            )
            return [(str(o), str(r), int(st)) for o, r, st in rows]


@contextmanager
def gate_env(
    make_syndic: MakeSyndic,
    *,
    rules: str = RULES,
    private: bool = True,
    keys: str = "[]",
    timeout: int = 5,
    deadline: int = 60,
    member: str | None = None,
    upstream: Any = None,
) -> Iterator[G]:
    clock = ManualClock()
    s = make_syndic(clock=clock)
    m, _, agreement = active_agreement(s)
    text = BASE.format(
        member=member or m,
        private="true" if private else "false",
        keys=keys,
        timeout=timeout,
        deadline=deadline,
    )
    policy = parse_policy(text + rules)
    key = Ed25519PrivateKey.generate()
    up, directory = Counting(), Counting({"keys": [jwk_of(key)]})
    with (
        serve(upstream if upstream is not None else up.app()) as up_url,
        serve(directory.app()) as dir_url,
    ):
        app, gate = s.gate_app(policy, up_url)
        # proxy_headers off: uvicorn would otherwise take X-Forwarded-For from a loopback
        # client as the client's address, and the forwarding test wants the raw header
        with (
            serve(app, proxy_headers=False) as url,
            httpx.Client(base_url=url, timeout=30) as http,
        ):
            yield G(s, clock, gate, url, http, up, directory, dir_url, key, m, agreement)


def _err(r: httpx.Response) -> tuple[int, str]:
    return r.status_code, str(r.json()["error"]["code"])


PRICE = {"crawler-max-price": "EUR 0.10"}


# --- 1.1 a signature made for another site -----------------------------------------------------
def test_a_signature_for_another_site_is_not_accepted_nor_charged(
    make_syndic: MakeSyndic,
) -> None:
    with gate_env(make_syndic) as g:
        other = "some-other-site.example"
        captured = g.sign("/papers/2", PRICE, nonce="captured", authority=other)
        r = g.http.get("/papers/2", headers={**captured, "Host": other})
        assert r.status_code == 400 and r.headers["crawler-error"] == "InvalidSignature"
        assert "not this site" in r.json()["error"]["message"]
        # without a price the signature counts as none: the unknown-client rule answers
        plain = g.sign("/papers/2", authority=other, nonce="c2")
        assert g.http.get("/papers/2", headers={**plain, "Host": other}).status_code == 401
        assert g.charged() == 0 and g.upstream.hits == []
        # the same crawler signing for this site is charged
        ok = g.http.get("/papers/2", headers=g.sign("/papers/2", PRICE, nonce="mine"))
        assert ok.status_code == 200 and g.charged() == 5


def test_a_paid_request_needs_a_nonce(make_syndic: MakeSyndic) -> None:
    with gate_env(make_syndic) as g:
        r = g.http.get("/p", headers=g.sign("/p", PRICE, nonce=None))
        assert r.status_code == 400 and r.headers["crawler-error"] == "InvalidSignature"
        assert "nonce" in r.json()["error"]["message"]
        assert g.charged() == 0 and g.upstream.hits == []


# --- 1.2 validity ------------------------------------------------------------------------------
def test_a_signature_valid_for_years_is_refused(make_syndic: MakeSyndic) -> None:
    with gate_env(make_syndic) as g:
        h = g.sign("/p", PRICE, nonce="long", expires_in=10 * 365 * 86400)
        g.clock.advance(timedelta(days=300))
        r = g.http.get("/p", headers=h)
        assert r.status_code == 400 and r.headers["crawler-error"] == "InvalidSignature"
        assert g.charged() == 0


def test_a_signature_past_its_expiry_is_refused(make_syndic: MakeSyndic) -> None:
    with gate_env(make_syndic) as g:
        h = g.sign("/p", PRICE, nonce="soon", expires_in=60)
        g.clock.advance(timedelta(seconds=61))
        r = g.http.get("/p", headers=h)
        assert r.status_code == 400 and "expired" in r.json()["error"]["message"]
        assert g.charged() == 0 and g.upstream.hits == []


# --- 1.3 paths ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "target", ["/private/doc", "/%70rivate/doc", "/%70%72ivate/doc", "/public/../private/doc"]
)
def test_a_path_rule_holds_for_every_spelling_of_the_path(
    make_syndic: MakeSyndic, target: str
) -> None:
    with gate_env(make_syndic) as g:
        r = g.http.get("/", extensions={"target": target.encode()})
        assert _err(r) == (403, "forbidden"), target
        assert g.upstream.hits == []
        assert g.decisions()[-1][1] == "private"


def test_an_encoded_slash_is_refused(make_syndic: MakeSyndic) -> None:
    with gate_env(make_syndic) as g:
        for target in ("/public/..%2Fprivate/doc", "/public%5C..%5Cprivate"):
            r = g.http.get("/", extensions={"target": target.encode()})
            assert _err(r) == (400, "bad_request") and "encoded slash" in r.text
        assert g.upstream.hits == []


# --- 1.4 Signature-Agent is untrusted input ---------------------------------------------------
def test_a_malformed_signature_agent_is_refused_and_recorded(make_syndic: MakeSyndic) -> None:
    with gate_env(make_syndic) as g:
        h = g.sign("/p", PRICE, agent="https://[::1")
        r = g.http.get("/p", headers=h)
        assert r.status_code == 400 and r.headers["crawler-error"] == "InvalidSignature"
        assert r.json()["error"]["message"] == UNUSABLE
        unpaid = g.http.get("/p", headers=g.sign("/p", agent="https://[::1", nonce="x"))
        assert unpaid.status_code == 401  # not signed: the unknown-client rule
        assert [d[2] for d in g.decisions()] == [400, 401]


def test_a_directory_with_bad_keys_is_refused_not_a_500(make_syndic: MakeSyndic) -> None:
    with gate_env(make_syndic) as g:
        g.directory.answer = {"keys": ["oops", {"kty": "OKP"}]}
        r = g.http.get("/p", headers=g.sign("/p", PRICE))
        assert r.status_code == 400 and "keyid is not in" in r.json()["error"]["message"]
        g.directory.answer = ["not", "a", "key", "set"]
        g.gate.keys._cache.clear()
        r = g.http.get("/p", headers=g.sign("/p", PRICE, nonce="n2"))
        assert r.status_code == 400 and r.json()["error"]["message"] == UNUSABLE


def test_no_requests_to_private_addresses_and_no_oracle(make_syndic: MakeSyndic) -> None:
    with gate_env(make_syndic, private=False) as g:
        r = g.http.get("/p", headers=g.sign("/p", PRICE))
        assert r.status_code == 400 and r.json()["error"]["message"] == UNUSABLE
        assert g.directory.hits == []  # never asked
        closed = "http://127.0.0.1:9"
        r2 = g.http.get("/p", headers=g.sign("/p", PRICE, agent=closed, nonce="n2"))
        assert r2.json() == r.json()  # the same words whatever went wrong: nothing to probe


def test_key_directories_must_be_https(make_syndic: MakeSyndic) -> None:
    with gate_env(make_syndic) as g:
        g.gate.keys.allow_http = False
        r = g.http.get("/p", headers=g.sign("/p", PRICE))
        assert r.status_code == 400 and r.json()["error"]["message"] == UNUSABLE
        assert g.directory.hits == []


def test_several_signature_agents_need_a_key_parameter(make_syndic: MakeSyndic) -> None:
    with gate_env(make_syndic) as g:
        agents = f'a="{g.directory_url}", b="https://other.example"'
        headers = {**PRICE, "Signature-Agent": agents}
        h = g.sign("/p", headers, agent=None)  # covers signature-agent without ;key=
        r = g.http.get("/p", headers=h)
        assert r.status_code == 400 and r.headers["crawler-error"] == "InvalidSignature"
        assert "several agents" in r.json()["error"]["message"]


def test_verified_crawlers_are_told_apart_by_agent_and_keyid(make_syndic: MakeSyndic) -> None:
    static = Ed25519PrivateKey.generate()
    kid = jwk_thumbprint(jwk_of(static))
    partner = Ed25519PrivateKey.generate()
    other_dir = Counting({"keys": [jwk_of(partner)]})
    with serve(other_dir.app()) as other_url:
        rules = f"""
  - name: partner
    if: {{agent: "{other_url}"}}
    then: charge
  - name: trusted-key
    if: {{keyid: {kid}}}
    then: pass
  - name: other-signed
    if: {{signed: true}}
    then: refuse
  - name: rest
    if: {{always: true}}
    then: challenge
"""
        keys = json.dumps([jwk_of(static)])
        with gate_env(make_syndic, rules=rules, keys=keys, member="any") as g:
            partner_req = g.sign("/p", agent=other_url, key=partner, nonce="p1")
            r = g.http.get("/p", headers=partner_req)
            assert r.status_code == 402 and r.headers["crawler-price"] == "EUR 0.05"
            assert g.decisions()[-1][1] == "partner"
            known = g.http.get("/p", headers=g.sign("/p", agent=None, key=static, nonce="k"))
            assert known.status_code == 200
            stranger = g.http.get("/p", headers=g.sign("/p", nonce="s"))
            assert _err(stranger) == (403, "forbidden")
            assert [d[1] for d in g.decisions()] == ["partner", "trusted-key", "other-signed"]


# --- 1.5 the gate's credentials stay at the gate ----------------------------------------------
def test_the_licence_token_and_pass_cookie_are_not_forwarded(make_syndic: MakeSyndic) -> None:
    with gate_env(make_syndic) as g:
        token = g.s.deals.issue_token(g.agreement)
        r = g.http.get(
            "/papers/1",
            headers={
                "Authorization": f"License {token}",
                "Cookie": "syndic_pass=1.2.3; theme=dark",
                "X-Forwarded-For": "6.6.6.6",
            },
        )
        assert r.status_code == 200
        seen = r.json()
        assert seen["authorization"] is None and seen["cookie"] == "theme=dark"
        # one header: the client's claim first, the address the gate saw last
        assert seen["x-forwarded-for"] == ["6.6.6.6, 127.0.0.1"]


# --- 1.6 a replay never reaches the upstream --------------------------------------------------
def test_a_replayed_paid_request_never_reaches_the_upstream(make_syndic: MakeSyndic) -> None:
    with gate_env(make_syndic) as g:
        h = g.sign("/p", PRICE, nonce="once")
        first = g.http.get("/p", headers=h)
        assert first.status_code == 200 and first.headers["crawler-charged"] == "EUR 0.05"
        assert g.upstream.hits == ["GET /p"]
        for method, path in (("GET", "/p"), ("DELETE", "/other"), ("PUT", "/p")):
            replay = g.http.request(method, path, headers=h)
            assert replay.status_code == 400 and "replay" in replay.json()["error"]["message"]
        assert g.upstream.hits == ["GET /p"] and g.charged() == 5


def test_a_request_not_charged_can_be_retried(make_syndic: MakeSyndic) -> None:
    with gate_env(make_syndic) as g:
        h = g.sign("/fail", PRICE, nonce="retry")
        assert g.http.get("/fail", headers=h).status_code == 500
        assert g.http.get("/fail", headers=h).status_code == 500  # released, not a replay
        assert g.upstream.hits == ["GET /fail", "GET /fail"] and g.charged() == 0


# --- licences ----------------------------------------------------------------------------------
def test_a_licence_not_covering_the_sites_member_is_forbidden(make_syndic: MakeSyndic) -> None:
    clock = ManualClock()
    s = make_syndic(clock=clock)
    _, _, agreement = active_agreement(s)
    bob = s.members.join(handle="bob", name="Bob", payout_account="iban:B")
    text = BASE.format(member=bob.id, private="true", keys="[]", timeout=5, deadline=60)
    policy = parse_policy(text + RULES)
    token = s.deals.issue_token(agreement)
    with serve(upstream_app()) as up:
        app, _ = s.gate_app(policy, up)
        with serve(app) as url:
            r = httpx.get(url + "/papers/1", headers={"Authorization": f"License {token}"})
    assert _err(r) == (403, "forbidden") and "does not cover" in r.json()["error"]["message"]


def test_revocation_takes_effect_when_the_licence_cache_expires(make_syndic: MakeSyndic) -> None:
    with gate_env(make_syndic) as g:
        g.gate.licences.cache_s = 5
        now = [1000.0]
        g.gate.licences.monotonic = lambda: now[0]
        token = g.s.deals.issue_token(g.agreement)
        auth = {"Authorization": f"License {token}"}
        assert g.http.get("/papers/1", headers=auth).status_code == 200
        with g.s.db.read() as sess:
            from syndic.deals.models import AccessToken

            tid = int(sess.scalar(select(func.max(AccessToken.id))) or 0)
        g.s.deals.revoke_token(tid)
        now[0] += 4  # within licence_cache_seconds: the cached grant still answers
        assert g.http.get("/papers/1", headers=auth).status_code == 200
        now[0] += 2  # past it: checked again, and refused
        r = g.http.get("/papers/1", headers=auth)
        assert _err(r) == (401, "unauthorized")


# --- limits ------------------------------------------------------------------------------------
def test_no_rule_holding_is_a_403(make_syndic: MakeSyndic) -> None:
    rules = "\n  - name: only-docs\n    if: {path: /docs/*}\n    then: challenge\n"
    with gate_env(make_syndic, rules=rules, member="any") as g:
        r = g.http.get("/papers/1")
        assert _err(r) == (403, "forbidden")
        assert g.decisions() == [("refused", "no-rule", 403)]


def test_a_proof_of_work_submission_over_4096_bytes_is_413(make_syndic: MakeSyndic) -> None:
    with gate_env(make_syndic) as g:
        big = {"challenge": "x" * 5000, "nonce": "1"}
        r = g.http.post("/.well-known/syndic/pow", data=big)
        assert _err(r) == (413, "body_too_large")

        def chunks() -> Iterator[bytes]:
            for _ in range(5):
                yield b"challenge=" + b"y" * 1000

        streamed = g.http.post("/.well-known/syndic/pow", content=chunks())
        assert _err(streamed) == (413, "body_too_large")
        bad = g.http.post("/.well-known/syndic/pow", content=b"[1]", headers=_JSON)
        assert _err(bad) == (400, "bad_request")
        assert [d[2] for d in g.decisions()] == [413, 413, 400]


_JSON = {"Content-Type": "application/json"}


def test_a_malformed_content_length_is_400(make_syndic: MakeSyndic) -> None:
    with gate_env(make_syndic) as g:
        host, port = g.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(
                b"POST /public/echo HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Length: 12abc\r\n\r\nhello"
            )
            head = sock.recv(4096).split(b"\r\n", 1)[0]
        assert head.startswith(b"HTTP/1.1 400")  # the HTTP server refuses it first
        assert g.upstream.hits == []
        # and the gate itself, under a server that lets such a header through
        sent = _asgi(g.gate, [(b"content-length", b"12abc"), (b"host", b"127.0.0.1")])
        assert sent[0]["status"] == 400
        assert json.loads(sent[1]["body"])["error"]["message"] == "malformed Content-Length"


def _asgi(gate: Gate, headers: list[tuple[bytes, bytes]]) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("nothing should be forwarded")

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(msg: Any) -> None:
        sent.append(msg)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/public/echo",
        "raw_path": b"/public/echo",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 1),
    }

    async def run() -> None:
        await GateMiddleware(app, gate)(scope, receive, send)

    asyncio.run(run())
    return sent


def test_middleware_mode_answers_an_oversized_streamed_body_with_413(
    make_syndic: MakeSyndic,
) -> None:
    s = make_syndic(clock=ManualClock())
    text = BASE.format(member="any", private="true", keys="[]", timeout=5, deadline=60)
    gate = s.gate(parse_policy(text + RULES))

    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b"y" * 500

    with serve(GateMiddleware(upstream_app(), gate)) as url:
        r = httpx.post(url + "/public/echo", content=chunks())
        ok = httpx.post(url + "/public/echo", content=b"small")
    assert _err(r) == (413, "body_too_large")
    assert ok.status_code == 200 and ok.json()["bytes"] == 5


def test_a_trickling_upstream_is_cut_off_at_the_deadline(make_syndic: MakeSyndic) -> None:
    async def trickle(request: Request) -> Response:
        async def body() -> Any:
            for _ in range(60):
                yield b"."
                await asyncio.sleep(0.25)  # always within upstream_timeout (1 s) of silence

        return StreamingResponse(body(), media_type="text/plain")

    slow = Starlette(routes=[Route("/{p:path}", trickle)])
    with gate_env(make_syndic, upstream=slow, timeout=1, deadline=2) as g:
        got: list[bytes] = []
        with pytest.raises(httpx.HTTPError):  # the body breaks off mid-stream
            _read_all(g.http, "/public/slow", got)
        assert 0 < len(b"".join(got)) < 60


def _read_all(http: httpx.Client, path: str, into: list[bytes]) -> None:
    with http.stream("GET", path) as r:
        assert r.status_code == 200
        into.extend(r.iter_raw())


def test_an_internal_error_is_json_and_recorded(make_syndic: MakeSyndic) -> None:
    with gate_env(make_syndic) as g:

        async def broken(req: Any) -> Any:
            raise RuntimeError("a bug")

        g.gate.decide = broken  # type: ignore[method-assign]
        r = g.http.get("/papers/1")
        assert _err(r) == (500, "internal_error") and "a bug" not in r.text
        assert g.decisions() == [("error", "limits", 500)]


# --- the licence-token endpoint ----------------------------------------------------------------
def test_a_token_request_over_64_kib_is_413(make_syndic: MakeSyndic) -> None:
    s = make_syndic(clock=ManualClock())
    _, licensee, _ = active_agreement(s)
    key = s.keys.create(role=Role.LICENSEE, subject_id=licensee, label="lab")
    basic = {"Authorization": "Basic " + base64.b64encode(f"{licensee}:{key}".encode()).decode()}
    big = {"grant_type": "client_credentials", "pad": "x" * 70_000}

    def chunks() -> Iterator[bytes]:
        yield b"grant_type=client_credentials&pad="
        for _ in range(70):
            yield b"x" * 1024

    with serve(create_app(s)) as url, httpx.Client(base_url=url) as http:
        declared = http.post("/v1/olp/token", data=big, headers=basic)
        streamed = http.post("/v1/olp/token", content=chunks(), headers=basic)
        ok = http.post("/v1/olp/token", data={"grant_type": "client_credentials"}, headers=basic)
        nested = http.post("/v1/olp/token", json={"grant_type": {"a": 1}}, headers=basic)
    assert _err(declared) == (413, "body_too_large")
    assert _err(streamed) == (413, "body_too_large")
    assert ok.status_code == 200
    assert _err(nested) == (422, "invalid_input")

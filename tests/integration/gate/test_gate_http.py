"""The gate over real HTTP on loopback: an upstream site, the gate in front of it, a crawler's
key directory; licensed, charged, challenged and refused requests, and bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from syndic.app import Syndic
from syndic.gate.botauth import Message, jwk_of, sign_request
from syndic.gate.middleware import SERVER_OPTIONS
from syndic.gate.models import GateDecision
from syndic.gate.policy import parse_policy
from syndic.gate.pow import solve
from syndic.gate.service import Gate
from syndic.payouts.ledger import Ledger
from syndic.provenance.models import LogEntry
from syndic.terms.models import Usage
from syndic.testing import ManualClock
from tests.conftest import MakeSyndic
from tests.integration.gate.helpers import active_agreement, jwks_app, serve, upstream_app

POLICY = """
site: alice-site
hosts: [127.0.0.1]
member: {member}
usage: ai-train
price: EUR 0.05
licence_cache_seconds: {cache}
pow: {{difficulty: 2, ttl: 60}}
web_bot_auth: {{allow_http_directories: true, allow_private_directories: true}}
limits: {{max_body: 1000, max_header_bytes: 4096, upstream_timeout: {timeout}}}
rules:
  - name: licensed
    if: {{licence: present}}
    then: license
  - name: pay-per-crawl
    if: {{any: [{{payment: offered}}, {{signed: true}}]}}
    then: charge
  - name: ai-crawlers
    if: {{crawler: known-ai}}
    then: {{refuse: 402}}
  - name: blocked
    if: {{user_agent: "BadBot"}}
    then: {{refuse: 403}}
  - name: public
    if: {{path: "/public/*"}}
    then: pass
  - name: everyone-else
    if: {{always: true}}
    then: challenge
"""


@dataclass
class Env:
    s: Syndic
    clock: ManualClock
    gate: Gate
    url: str  # the gate
    upstream: str
    agent: str  # the crawler's Signature-Agent (a key directory on loopback)
    key: Ed25519PrivateKey
    member: int
    licensee: int
    agreement: int
    http: httpx.Client

    def signed(
        self,
        path: str,
        *,
        extra: dict[str, str] | None = None,
        nonce: str = "n1",
        covered: tuple[str, ...] | None = None,
        expires_in: int = 300,
        key: Ed25519PrivateKey | None = None,
    ) -> dict[str, str]:
        headers = dict(extra or {})
        now = int(self.clock.now().timestamp())
        msg = Message.of_url("GET", self.url + path, headers)
        sig = sign_request(
            msg,
            key or self.key,
            created=now,
            expires=now + expires_in,
            nonce=nonce,
            agent=self.agent,
            extra=list(headers) if covered is None else list(covered),
        )
        return {**headers, **sig, "User-Agent": "ExampleCrawler/1.0"}


def _env(
    make_syndic: MakeSyndic,
    *,
    cache: int = 0,
    timeout: int = 5,
    upstream: str | None = None,
    max_target: int = 64 * 1024,
) -> Iterator[Env]:
    clock = ManualClock()
    s = make_syndic(clock=clock)
    member, licensee, agreement = active_agreement(s)
    policy = parse_policy(POLICY.format(member=member, cache=cache, timeout=timeout))
    key = Ed25519PrivateKey.generate()
    with serve(upstream_app()) as up, serve(jwks_app({"keys": [jwk_of(key)]})) as directory:
        app, gate = s.gate_app(policy, upstream or up)
        with (
            serve(app, h11_max_incomplete_event_size=max_target, **SERVER_OPTIONS) as url,
            httpx.Client(base_url=url, timeout=10) as http,
        ):
            yield Env(s, clock, gate, url, up, directory, key, member, licensee, agreement, http)


@pytest.fixture
def env(make_syndic: MakeSyndic) -> Iterator[Env]:
    yield from _env(make_syndic)


@pytest.fixture
def env_both(backend: str, make_syndic: MakeSyndic) -> Iterator[Env]:
    """The same, on SQLite and on PostgreSQL."""
    yield from _env(make_syndic)


def _err(r: httpx.Response) -> str:
    return str(r.json()["error"]["code"])


def test_known_ai_crawler_is_refused_with_a_link_to_the_licence(env: Env) -> None:
    r = env.http.get("/papers/1", headers={"User-Agent": "Mozilla/5.0 (compatible; GPTBot/1.2)"})
    assert r.status_code == 402
    assert _err(r) == "payment_required"
    assert 'rel="license"' in r.headers["link"] and "license.xml" in r.headers["link"]
    assert r.headers["crawler-price"] == "EUR 0.05"
    r = env.http.get("/papers/1", headers={"User-Agent": "BadBot/2"})
    assert r.status_code == 403
    assert r.headers["crawler-error"] == "CrawlerForbidden"
    r = env.http.get("/public/x", headers={"User-Agent": "Mozilla/5.0"})
    assert r.status_code == 200 and r.text == "page public/x"
    assert r.headers["x-upstream"] == "yes"
    assert r.headers["x-robots-tag"] == "noai, noimageai"
    assert "train-ai=n" in r.headers["content-usage"]


def test_licensed_request_passes_with_its_token_and_bad_tokens_are_refused(env: Env) -> None:
    token = env.s.deals.issue_token(env.agreement)
    ok = env.http.get(
        "/papers/1", headers={"Authorization": f"License {token}", "User-Agent": "GPTBot"}
    )
    assert ok.status_code == 200 and ok.text == "page papers/1"
    missing = env.http.get("/papers/1", headers={"Authorization": "License"})
    assert missing.status_code == 401  # an empty token is no licence: the challenge rule answers
    forged = env.http.get("/papers/1", headers={"Authorization": "License syl_forged"})
    assert forged.status_code == 401 and _err(forged) == "unauthorized"
    assert forged.headers["www-authenticate"].startswith("License")
    # revoked: refused at once (no cache in this policy)
    second = env.s.deals.issue_token(env.agreement)
    with env.s.db.read() as sess:
        from syndic.deals.models import AccessToken

        tid = sess.scalar(select(func.max(AccessToken.id)))
    env.s.deals.revoke_token(int(tid))
    assert env.http.get("/x", headers={"Authorization": f"License {second}"}).status_code == 401
    # expired: the token lives 30 days
    env.clock.advance(timedelta(days=31))
    expired = env.http.get("/papers/1", headers={"Authorization": f"License {token}"})
    assert expired.status_code == 401
    assert "expired" in expired.json()["error"]["message"]


def test_a_token_outside_the_sites_usage_is_forbidden(make_syndic: MakeSyndic) -> None:
    clock = ManualClock()
    s = make_syndic(clock=clock)
    member, _, agreement = active_agreement(s, permits=frozenset({Usage.SEARCH}))
    policy = parse_policy(POLICY.format(member=member, cache=5, timeout=5))
    token = s.deals.issue_token(agreement)
    with serve(upstream_app()) as up:
        app, _ = s.gate_app(policy, up)
        with serve(app) as url:
            r = httpx.get(url + "/papers/1", headers={"Authorization": f"License {token}"})
    assert r.status_code == 403
    assert "does not permit ai-train" in r.json()["error"]["message"]


def test_pay_per_crawl_charges_a_signed_retry_once(env_both: Env) -> None:
    env = env_both
    http = env.http
    first = http.get("/papers/2", headers=env.signed("/papers/2", nonce="a"))
    assert first.status_code == 402 and first.headers["crawler-price"] == "EUR 0.05"
    paid = env.signed("/papers/2", extra={"crawler-max-price": "EUR 0.10"}, nonce="b")
    r = http.get("/papers/2", headers=paid)
    assert r.status_code == 200 and r.text == "page papers/2"
    assert r.headers["crawler-charged"] == "EUR 0.05"
    with env.s.db.read() as sess:
        assert Ledger.balance(sess, "crawl:charged:alice-site") == -5
        row = sess.scalar(select(GateDecision).where(GateDecision.outcome == "charged"))
        assert row is not None and row.charged_minor == 5 and row.agent == env.agent
    replay = http.get("/papers/2", headers=paid)
    assert replay.status_code == 400 and replay.headers["crawler-error"] == "InvalidSignature"
    exact = http.get(
        "/papers/2",
        headers=env.signed("/papers/2", extra={"crawler-exact-price": "EUR 0.05"}, nonce="c"),
    )
    assert exact.status_code == 200 and exact.headers["crawler-charged"] == "EUR 0.05"
    # a maximum equal to the price meets it (Cloudflare: "meet or exceed")
    equal = env.signed("/papers/3", extra={"crawler-max-price": "EUR 0.050"}, nonce="d")
    met = http.get("/papers/3", headers=equal)
    assert met.status_code == 200 and met.headers["crawler-charged"] == "EUR 0.05"
    with env.s.db.read() as sess:
        assert Ledger.balance(sess, "crawl:charged:alice-site") == -15


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("wrong-exact", 402, "InvalidCrawlerExactPrice"),
        ("low-max", 402, "InvalidCrawlerMaxPrice"),
        ("max-other-currency", 402, "InvalidCrawlerMaxPrice"),
        ("no-offer", 402, "MissingCrawlerPrice"),
        ("both", 400, "ConflictingPriceHeaders"),
        ("malformed", 400, "InvalidCrawlerPriceValue"),
        ("unsigned", 400, "StrongAuthRequired"),
        ("price-not-covered", 400, "InvalidSignature"),
        ("forged", 400, "InvalidSignature"),
        ("expired", 400, "InvalidSignature"),
    ],
)
def test_pay_per_crawl_errors_use_the_protocols_codes(
    env: Env, kind: str, status: int, code: str
) -> None:
    price = {"crawler-max-price": "EUR 0.10"}
    headers = {
        "wrong-exact": lambda: env.signed("/p", extra={"crawler-exact-price": "EUR 0.04"}),
        "low-max": lambda: env.signed("/p", extra={"crawler-max-price": "EUR 0.04"}),
        "max-other-currency": lambda: env.signed("/p", extra={"crawler-max-price": "USD 9.00"}),
        "no-offer": lambda: env.signed("/p"),
        "both": lambda: env.signed("/p", extra={**price, "crawler-exact-price": "EUR 0.05"}),
        "malformed": lambda: env.signed("/p", extra={"crawler-max-price": "five euros"}),
        "unsigned": lambda: {**price, "User-Agent": "ExampleCrawler"},
        "price-not-covered": lambda: env.signed("/p", extra=price, covered=()),
        "forged": lambda: env.signed("/p", extra=price, key=Ed25519PrivateKey.generate()),
        "expired": lambda: env.signed("/p", extra=price, expires_in=-1),
    }[kind]()
    r = env.http.get("/p", headers=headers)
    assert (r.status_code, r.headers["crawler-error"]) == (status, code)
    if status == 402:  # every 402 says what the price is
        assert r.headers["crawler-price"] == "EUR 0.05"
    with env.s.db.read() as sess:
        assert Ledger.balance(sess, "crawl:charged:alice-site") == 0


def test_an_upstream_error_is_not_charged(env: Env) -> None:
    r = env.http.get("/fail", headers=env.signed("/fail", extra={"crawler-max-price": "EUR 0.10"}))
    assert r.status_code == 500 and "crawler-charged" not in r.headers
    with env.s.db.read() as sess:
        assert Ledger.balance(sess, "crawl:charged:alice-site") == 0


def test_proof_of_work_challenge_pass_and_replay(env: Env) -> None:
    ua = {"User-Agent": "Mozilla/5.0 curious-reader"}
    r = env.http.get("/papers/3", headers=ua)
    assert r.status_code == 401 and _err(r) == "challenge_required"
    challenge = r.json()["challenge"]
    nonce = solve(challenge, 2)
    bad = env.http.post(
        "/.well-known/syndic/pow", data={"challenge": challenge, "nonce": "x" * 10}, headers=ua
    )
    assert bad.status_code == 401 and "does not solve" in bad.json()["error"]["message"]
    other_client = env.http.post(
        "/.well-known/syndic/pow",
        data={"challenge": challenge, "nonce": nonce},
        headers={"User-Agent": "someone else"},
    )
    assert "another client" in other_client.json()["error"]["message"]
    tampered = challenge.replace(".2.", ".1.", 1)
    forged = env.http.post(
        "/.well-known/syndic/pow",
        data={"challenge": tampered, "nonce": solve(tampered, 1)},
        headers=ua,
    )
    assert (
        forged.status_code == 401 and "not issued by this gate" in forged.json()["error"]["message"]
    )
    ok = env.http.post(
        "/.well-known/syndic/pow", data={"challenge": challenge, "nonce": nonce}, headers=ua
    )
    assert ok.status_code == 200
    cookie = ok.json()["pass"]
    assert "syndic_pass=" in ok.headers["set-cookie"]
    replay = env.http.post(
        "/.well-known/syndic/pow", json={"challenge": challenge, "nonce": nonce}, headers=ua
    )
    assert replay.status_code == 401 and "already been used" in replay.json()["error"]["message"]
    passed = env.http.get("/papers/3", headers={**ua, "Cookie": f"syndic_pass={cookie}"})
    assert passed.status_code == 200
    stolen = env.http.get(
        "/papers/3", headers={"User-Agent": "thief", "Cookie": f"syndic_pass={cookie}"}
    )
    assert stolen.status_code == 401
    env.clock.advance(timedelta(hours=2))
    assert (
        env.http.get("/papers/3", headers={**ua, "Cookie": f"syndic_pass={cookie}"}).status_code
        == 401
    )
    late = env.http.get("/papers/3", headers=ua).json()["challenge"]
    env.clock.advance(timedelta(minutes=2))
    expired = env.http.post(
        "/.well-known/syndic/pow", data={"challenge": late, "nonce": solve(late, 2)}, headers=ua
    )
    assert "expired" in expired.json()["error"]["message"]


def test_huge_headers_and_bodies_are_refused(env: Env) -> None:
    big = env.http.get("/public/x", headers={"X-Pad": "a" * 8000})
    assert big.status_code == 431 and _err(big) == "headers_too_large"
    body = env.http.post("/public/echo", content=b"x" * 5000)
    assert body.status_code == 413 and _err(body) == "body_too_large"

    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b"y" * 500

    streamed = env.http.post("/public/echo", content=chunks())
    assert streamed.status_code == 413
    small = env.http.post("/public/echo", content=b"hello")
    assert small.status_code == 200 and small.json() == {"bytes": 5, "forwarded_for": "127.0.0.1"}


def test_malformed_headers_are_refused_not_crashed(env: Env) -> None:
    garbage = {"Signature-Input": "sig1=(((", "Signature": "sig1=:!!:", "User-Agent": "x"}
    r = env.http.get("/papers/1", headers=garbage)
    assert r.status_code == 401  # an unverifiable signature is no signature: challenged
    r = env.http.get("/papers/1", headers={**garbage, "crawler-max-price": "EUR 1.00"})
    assert r.status_code == 400 and r.headers["crawler-error"] == "InvalidSignature"
    r = env.http.get(
        "/papers/1", headers={"Authorization": "License \\x7f not a token", "User-Agent": "x"}
    )
    assert r.status_code == 401


def test_an_upstream_that_is_down_is_a_502_not_a_hang(make_syndic: MakeSyndic) -> None:
    from syndic.api.serving import free_port

    for e in _env(make_syndic, upstream=f"http://127.0.0.1:{free_port()}"):
        r = e.http.get("/public/x")
        assert r.status_code == 502 and _err(r) == "upstream_unreachable"


def test_a_hanging_upstream_is_a_504(make_syndic: MakeSyndic) -> None:
    for e in _env(make_syndic, timeout=1):
        r = e.http.get("/public/slow")
        assert r.status_code == 504 and _err(r) == "upstream_timeout"


def test_every_decision_is_a_log_event_and_in_the_report(env: Env, tmp_path: Path) -> None:
    env.http.get("/papers/1", headers={"User-Agent": "GPTBot"})
    env.http.get("/papers/1", headers={"User-Agent": "ClaudeBot"})
    env.http.get("/public/a")
    env.http.get(
        "/papers/9", headers=env.signed("/papers/9", extra={"crawler-max-price": "EUR 0.05"})
    )
    env.gate.port.flush()
    with env.s.db.read() as sess:
        rows = sess.scalars(select(GateDecision).order_by(GateDecision.id)).all()
        assert [r.outcome for r in rows].count("payment-required") == 2
        entries = [json.loads(sess.get(LogEntry, r.log_index).entry) for r in rows]
    assert all(e["kind"] == "gate.decision" for e in entries)
    assert {e["actor"] for e in entries} >= {"GPTBot", "ClaudeBot"}
    from syndic.cli.main import main

    chart = tmp_path / "crawl.svg"
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(
            [
                "gate",
                "report",
                "--json",
                "--chart",
                str(chart),
                "--data-dir",
                str(env.s.settings.data_dir),
            ]
        )
    assert code == 0
    rep: dict[str, Any] = json.loads(out.getvalue())
    (site,) = rep["sites"]
    assert site["site"] == "alice-site" and site["requests"] == 4
    assert site["by_outcome"] == {"payment-required": 2, "charged": 1, "passed": 1}
    assert site["charged"] == {"EUR": 5}
    assert chart.read_text().startswith("<svg")


def test_the_gate_as_middleware_around_an_app(make_syndic: MakeSyndic) -> None:
    from syndic.gate.middleware import GateMiddleware

    s = make_syndic(clock=ManualClock())
    member, _, agreement = active_agreement(s)
    policy = parse_policy(POLICY.format(member=member, cache=5, timeout=5))
    gate = s.gate(policy)
    token = s.deals.issue_token(agreement)
    with serve(GateMiddleware(upstream_app(), gate)) as url, httpx.Client(base_url=url) as http:
        assert http.get("/papers/1", headers={"User-Agent": "GPTBot"}).status_code == 402
        ok = http.get("/papers/1", headers={"Authorization": f"License {token}"})
        assert ok.status_code == 200 and ok.text == "page papers/1"
        assert ok.headers["link"].endswith('rel="license"; type="application/rsl+xml"')
        assert (
            http.get("/papers/1", headers={"Authorization": f"License {token}"}).status_code == 200
        )
    gate.port.flush()
    with s.db.read() as sess:
        outcomes = sorted(sess.scalars(select(GateDecision.outcome)))
    assert outcomes == ["licensed", "licensed", "payment-required"]


def test_forwarded_responses_keep_the_sites_one_date_and_server(env: Env) -> None:
    with httpx.Client() as direct:
        site = direct.get(env.upstream + "/public/a")
    r = env.http.get("/public/a")
    assert r.status_code == 200
    dates = [v for k, v in r.headers.multi_items() if k == "date"]
    servers = [v for k, v in r.headers.multi_items() if k == "server"]
    assert len(dates) == 1 and servers == [site.headers["server"]]
    refused = env.http.get("/papers/1", headers={"User-Agent": "GPTBot"})  # the gate's answer
    assert len(refused.headers.get_list("date")) == 1
    assert "server" not in refused.headers


def test_a_64_kib_uri_does_not_stop_decision_logging(make_syndic: MakeSyndic) -> None:
    gen = _env(make_syndic, max_target=256 * 1024)
    env = next(gen)
    try:
        token = env.s.deals.issue_token(env.agreement)
        huge = env.http.get("/", extensions={"target": b"/public/" + b"x" * (65 * 1024)})
        assert huge.status_code == 200
        for i in range(5):
            ok = env.http.get(f"/papers/{i}", headers={"Authorization": f"License {token}"})
            assert ok.status_code == 200
        env.gate.port.flush()  # what the background writer has not written yet
        metrics = env.http.get("/.well-known/syndic/metrics").text
        assert 'syndic_gate_decisions_lost_total{site="alice-site"} 0' in metrics
        assert 'syndic_gate_decisions_written_total{site="alice-site"} 6' in metrics
        with env.s.db.read() as sess:
            rows = sess.execute(select(GateDecision.outcome, GateDecision.path)).all()
        assert [o for o, _ in rows] == ["passed"] + ["licensed"] * 5  # the meter is whole
        assert len(rows[0][1]) == 500
    finally:
        gen.close()

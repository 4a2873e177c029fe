"""The gate's pure core: condition classes, fail-closed composition, and ``decide`` over
facts; then the shell over an in-memory port."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from syndic.deals.views import Grant
from syndic.errors import SignatureError
from syndic.gate import paypercrawl as ppc
from syndic.gate.botauth import Verified
from syndic.gate.conditions import (
    CONDITIONS,
    AllOf,
    AnyOf,
    Crawler,
    Licence,
    Method,
    Not,
    Payment,
    Signed,
    UnsafeAllowAll,
)
from syndic.gate.decide import Context, Facts, Outcome, Request, decide
from syndic.gate.licensing import LicenceCheck
from syndic.gate.policy import ActionKind, parse_policy
from syndic.gate.pow import COOKIE, PowIssuer
from syndic.gate.service import Gate, GateSetup
from syndic.terms.crawlers import load_crawlers
from syndic.testing import ManualClock, MemoryGatePort

SECRET = b"s" * 32
CRAWLERS = load_crawlers()
POLICY = """\
site: alice
hosts: [alice.example]
member: any
price: EUR 0.01
rules:
  - name: licensed
    if: {licence: present}
    then: license
  - name: paid
    if: {payment: offered}
    then: charge
  - name: bots
    if: {crawler: known-ai}
    then: {refuse: 402}
  - name: posts
    if: {method: POST}
    then: refuse
  - name: docs
    if: {path: /docs/*}
    then: pass
  - name: humans
    if: {user_agent: Mozilla}
    then: challenge
"""


def _req(path: str = "/", **headers: str) -> Request:
    method = headers.pop("method", "GET")
    h = {k.replace("_", "-").lower(): v for k, v in headers.items()}
    return Request(method, "https", "alice.example", path, "", h, "192.0.2.1")


def _facts(req: Request, **kw: object) -> Facts:
    c = CRAWLERS.match(req.headers.get("user-agent", ""))
    return Facts(req, now=1_000_000, crawler=None if c is None else c.name, **kw)  # type: ignore[arg-type]


def _ctx() -> Context:
    return Context(parse_policy(POLICY), PowIssuer(SECRET), "https://c.example/license.xml")


def _grant() -> Grant:
    return Grant(
        token_id=1,
        agreement_id=7,
        licensee_id=3,
        usages=("ai-train",),
        expires_at=datetime(2030, 1, 1, tzinfo=UTC),
    )


# --- conditions ------------------------------------------------------------------------------
def test_every_condition_key_has_one_class() -> None:
    assert set(CONDITIONS) == {
        "all",
        "any",
        "not",
        "always",
        "unsafe_allow_all",
        "licence",
        "payment",
        "crawler",
        "signed",
        "user_agent",
        "path",
        "method",
        "agent",
        "keyid",
    }
    assert all(cls.key == key for key, cls in CONDITIONS.items())


def test_composition_fails_closed() -> None:
    f = _facts(_req())
    assert AllOf(()).holds(f) is False and AllOf(()).never()
    assert AnyOf(()).holds(f) is False and AnyOf(()).never()
    assert Not(AllOf(())).holds(f) is True and Not(AllOf(())).always()
    assert AllOf((UnsafeAllowAll(), Licence("absent"))).holds(f)
    assert not AllOf((UnsafeAllowAll(), Licence("present"))).holds(f)
    assert AnyOf((Licence("present"), Licence("absent"))).always()
    assert not AnyOf((Licence("present"), Payment("absent"))).always()


def test_leaf_conditions_read_the_facts() -> None:
    plain = _facts(_req(user_agent="Mozilla/5.0"))
    bot = _facts(_req(user_agent="GPTBot/1.2", authorization="License t", crawler_max_price="x"))
    assert Crawler("known-ai").holds(bot) and Crawler("unknown").holds(plain)
    assert Licence("present").holds(bot) and Licence("absent").holds(plain)
    assert Payment("offered").holds(bot) and not Payment("offered").holds(plain)
    assert Method(frozenset({"GET"})).holds(plain)
    verified = Verified("sig1", "k" * 43, None, "n", 0, None, ("@authority",))
    assert Signed(True).holds(_facts(_req(), signature=verified))
    assert Signed(False).holds(_facts(_req(), signature=SignatureError("no")))
    assert Signed(False).opposite() == Signed(True)


def test_the_policy_knows_whether_a_rule_reads_the_signature() -> None:
    assert not parse_policy(POLICY).needs_signature
    signed = POLICY.replace("{payment: offered}", "{any: [{signed: true}]}")
    assert parse_policy(signed).needs_signature


# --- decide ----------------------------------------------------------------------------------
def test_decide_is_pure_over_facts() -> None:
    ctx = _ctx()
    passed = decide(_facts(_req("/docs/a")), ctx)
    assert (passed.outcome, passed.forward, passed.rule) == (Outcome.PASSED, True, "docs")
    none = decide(_facts(_req("/x")), ctx)
    assert (none.outcome, none.status, none.rule) == (Outcome.REFUSED, 403, "no-rule")
    assert none.headers["Link"].startswith("<https://c.example/license.xml>")
    bot = decide(_facts(_req(user_agent="GPTBot")), ctx)
    assert (bot.outcome, bot.status, bot.agent) == (Outcome.PAYMENT_REQUIRED, 402, "GPTBot")
    assert bot.headers[ppc.PRICE] == "EUR 0.01"
    post = decide(_facts(_req(method="POST")), ctx)
    assert (post.status, post.headers[ppc.ERROR]) == (403, "CrawlerForbidden")


def test_decide_a_licence() -> None:
    ctx, req = _ctx(), _req(authorization="License tok")
    unchecked = decide(_facts(req), ctx)
    assert (unchecked.outcome, unchecked.status) == (Outcome.UNAUTHORIZED, 401)
    ok = decide(_facts(req, licence=LicenceCheck(_grant(), None)), ctx)
    assert (ok.outcome, ok.forward, ok.agent) == (Outcome.LICENSED, True, "licensee:3")
    assert (ok.grant_licensee, ok.grant_agreement) == (3, 7)


def test_decide_a_charge() -> None:
    ctx = _ctx()
    req = _req(crawler_exact_price="EUR 0.01")
    assert decide(_facts(req), ctx).headers[ppc.ERROR] == "StrongAuthRequired"
    bad = decide(_facts(req, paid_signature=SignatureError("forged")), ctx)
    assert (bad.status, bad.headers[ppc.ERROR], bad.message) == (400, "InvalidSignature", "forged")
    sig = Verified("sig1", "k" * 43, "https://bot.example", "n1", 0, None, ("@authority",))
    paid = decide(_facts(req, paid_signature=sig), ctx)
    assert (paid.outcome, paid.charge, paid.charge_nonce) == (
        Outcome.CHARGED,
        ppc.Price("EUR", 1),
        f"{'k' * 43}:n1",
    )
    low = decide(_facts(_req(crawler_exact_price="EUR 0.02"), paid_signature=sig), ctx)
    assert (low.status, low.headers[ppc.ERROR]) == (402, "InvalidCrawlerExactPrice")
    no_nonce = Verified("sig1", "k" * 43, None, None, 0, None, ("@authority",))
    assert decide(_facts(req, paid_signature=no_nonce), ctx).status == 400


def test_decide_a_challenge_and_its_pass() -> None:
    ctx = _ctx()
    req = _req(user_agent="Mozilla/5.0")
    d = decide(_facts(req), ctx)
    assert (d.outcome, d.status, d.difficulty) == (Outcome.CHALLENGED, 401, 4)
    assert d.challenge is not None
    f = _facts(req)
    cookie = ctx.pow.pass_cookie(client=f.client, now=f.now, ttl_s=60)
    with_pass = _req(user_agent="Mozilla/5.0", cookie=f"a=b; {COOKIE}={cookie}")
    assert decide(_facts(with_pass), ctx).outcome == Outcome.PASSED


def test_every_action_kind_is_decided() -> None:
    from syndic.gate.decide import _ACTIONS

    assert set(_ACTIONS) == set(ActionKind)


# --- the shell over an in-memory port --------------------------------------------------------
@pytest.fixture
def gate() -> Gate:
    setup = GateSetup(
        clock=ManualClock(),
        secret=SECRET,
        crawlers=CRAWLERS,
        licence_url="https://c.example/license.xml",
    )
    return Gate(MemoryGatePort({"tok": _grant()}), parse_policy(POLICY), setup)


def test_the_gate_checks_a_licence_through_its_port_and_caches_it(gate: Gate) -> None:
    port = gate.port
    assert isinstance(port, MemoryGatePort)
    req = _req(authorization="License tok")
    assert asyncio.run(gate.decide(req)).outcome == Outcome.LICENSED
    assert asyncio.run(gate.decide(req)).outcome == Outcome.LICENSED
    assert port.licence_checks == 1
    refused = asyncio.run(gate.decide(_req(authorization="License forged")))
    assert (refused.status, refused.code) == (401, "unauthorized")
    assert asyncio.run(gate.decide(_req("/docs/x"))).outcome == Outcome.PASSED
    assert port.licence_checks == 2  # a request no `license` rule matched checks nothing


def test_the_memory_port_refuses_a_replayed_nonce_and_a_spent_challenge(gate: Gate) -> None:
    port = MemoryGatePort()
    at = datetime(2026, 1, 1, tzinfo=UTC)
    assert port.reserve_nonce("n", at=at) and not port.reserve_nonce("n", at=at)
    port.release_nonce("n")
    assert port.reserve_nonce("n", at=at)
    d = decide(_facts(_req("/docs/a")), _ctx())
    rec = gate.record(_req("/docs/a"), d, 200)
    assert port.spend_challenge("c", rec) and not port.spend_challenge("c", rec)
    port.record(rec)
    assert port.flush() == 1 and port.written == [rec, rec]

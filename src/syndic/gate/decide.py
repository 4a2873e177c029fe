"""The gate's decision for one request, in pure code: the first policy rule that holds, then
its action. ``decide(facts, ctx)`` reads only what it is given and does no I/O.

The facts (the verified signature, the licence check) are gathered by ``Gate`` (gate/service.py)
through the port before ``decide`` runs, and only those a rule of the policy can read.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

from syndic.errors import AuthError, SignatureError, SyndicError
from syndic.gate import paypercrawl as ppc
from syndic.gate.botauth import Verified
from syndic.gate.licensing import LicenceCheck, bearer_of
from syndic.gate.policy import ActionKind, Policy, PolicyRule
from syndic.gate.pow import COOKIE, PowIssuer, client_id
from syndic.gate.target import AmbiguousTarget, normal_target

MAX_NONCE = 128  # characters of a paid request's signature nonce


class Outcome(StrEnum):
    """What the gate did with a request (the crawl report counts these)."""

    PASSED = "passed"
    LICENSED = "licensed"
    CHARGED = "charged"
    NOT_CHARGED = "not-charged"
    CHALLENGED = "challenged"
    CHALLENGE_PASSED = "challenge-passed"
    CHALLENGE_FAILED = "challenge-failed"
    REFUSED = "refused"
    UNAUTHORIZED = "unauthorized"
    PAYMENT_REQUIRED = "payment-required"
    BAD_REQUEST = "bad-request"
    ERROR = "error"


_REFUSAL = {
    401: Outcome.UNAUTHORIZED,
    402: Outcome.PAYMENT_REQUIRED,
    403: Outcome.REFUSED,
}


@dataclass
class Request:
    method: str
    scheme: str
    authority: str
    path: str
    query: str
    headers: dict[str, str]  # lower-case names
    client: str  # remote address

    @property
    def target(self) -> str:
        """Path and query as sent (what a signature's ``@path``/``@query`` cover)."""
        return self.path + ("?" + self.query if self.query else "")

    @cached_property
    def normal_target(self) -> str:
        """Path and query in the one form ``path:`` patterns match and the gate forwards
        (``gate/target.py``); ``AmbiguousTarget`` for a spelling servers read differently."""
        return normal_target(self.target)

    @property
    def normal_path(self) -> str:
        return self.normal_target.partition("?")[0]

    @property
    def logged_path(self) -> str:
        """The normal path, or the raw one when it was refused as ambiguous."""
        try:
            return self.normal_path
        except AmbiguousTarget:
            return self.path


@dataclass(frozen=True)
class Facts:
    """What is known about one request when the gate decides."""

    request: Request
    now: int = 0  # seconds since the epoch; read only by the challenge action
    crawler: str | None = None  # the known AI crawler its user agent names
    signature: Verified | SignatureError | None = None  # None: no condition reads it
    paid_signature: Verified | SignatureError | None = None  # covering the price offer
    licence: LicenceCheck | None = None  # of its licence token, when a `license` rule matched

    @property
    def user_agent(self) -> str:
        return self.request.headers.get("user-agent", "")

    @property
    def client(self) -> str:
        return client_id(self.request.client, self.user_agent)


@dataclass
class Decision:
    outcome: Outcome
    rule: str
    status: int = 200
    forward: bool = False
    code: str = ""
    message: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    agent: str = "unknown"
    grant_licensee: int | None = None
    grant_agreement: int | None = None
    charge: ppc.Price | None = None
    charge_nonce: str | None = None
    challenge: str | None = None
    difficulty: int = 0  # of ``challenge``

    def body(self) -> bytes:
        doc: dict[str, Any] = {"error": {"code": self.code, "message": self.message}}
        if self.challenge is not None:
            doc["challenge"] = self.challenge
        return json.dumps(doc).encode()


@dataclass(frozen=True)
class Context:
    """What ``decide`` reads besides the facts: the policy, the challenge issuer and where
    the licence terms are published."""

    policy: Policy
    pow: PowIssuer
    licence_url: str

    @property
    def link(self) -> str:
        return f'<{self.licence_url}>; rel="license"; type="application/rsl+xml"'


def first_rule(policy: Policy, facts: Facts) -> PolicyRule | None:
    return next((r for r in policy.rules if r.cond.holds(facts)), None)


def decide(facts: Facts, ctx: Context) -> Decision:
    """The decision for one request: the first rule that holds acts; none holding refuses."""
    rule = first_rule(ctx.policy, facts)
    if rule is None:
        msg = "no rule of the site's policy admits this request"
        d = refuse("no-rule", 403, "forbidden", msg)
    else:
        d = _ACTIONS[rule.action.kind](rule, facts, ctx)
    if d.agent == "unknown":
        d.agent = facts.crawler or "unknown"
    if not d.forward:
        d.headers.setdefault("Link", ctx.link)
    return d


def refuse(rule: str, status: int, code: str, message: str, **kw: Any) -> Decision:
    outcome = _REFUSAL.get(status, Outcome.BAD_REQUEST)
    return Decision(outcome, rule, status, False, code, message, **kw)


def crawler_error(policy: Policy, rule: str, err: ppc.CrawlerError) -> Decision:
    """A pay-per-crawl refusal, with ``crawler-error`` (and the price, for a 402)."""
    headers = {ppc.ERROR: err.code}
    if err.status == 402 and policy.price is not None:
        headers[ppc.PRICE] = str(policy.price)
    code = {400: "bad_request", 402: "payment_required", 403: "forbidden"}[err.status]
    return refuse(rule, err.status, code, err.message, headers=headers)


# --- actions ---------------------------------------------------------------------------------
def _pass(rule: PolicyRule, facts: Facts, ctx: Context) -> Decision:
    return Decision(Outcome.PASSED, rule.name, forward=True)


def _refuse(rule: PolicyRule, facts: Facts, ctx: Context) -> Decision:
    if rule.action.status == 402:
        headers = {} if ctx.policy.price is None else {ppc.PRICE: str(ctx.policy.price)}
        msg = f"AI use of this site needs a licence: {ctx.licence_url}"
        return refuse(rule.name, 402, "payment_required", msg, headers=headers)
    msg = f"this crawler is refused; licence terms: {ctx.licence_url}"
    return refuse(rule.name, 403, "forbidden", msg, headers={ppc.ERROR: ppc.FORBIDDEN.code})


def _license(rule: PolicyRule, facts: Facts, ctx: Context) -> Decision:
    auth = {"WWW-Authenticate": f'License realm="{ctx.policy.site}"'}
    check = facts.licence
    if bearer_of(facts.request.headers.get("authorization")) is None or check is None:
        msg = "this content needs a licence token: Authorization: License <token>"
        return refuse(rule.name, 401, "unauthorized", msg, headers=auth)
    g = check.grant
    if g is None:
        err: SyndicError = check.error or AuthError("licence token refused")
        headers = auth if err.status == 401 else {}
        return refuse(rule.name, err.status, err.code, err.message, headers=headers)
    return Decision(
        Outcome.LICENSED,
        rule.name,
        forward=True,
        agent=f"licensee:{g.licensee_id}",
        grant_licensee=g.licensee_id,
        grant_agreement=g.agreement_id,
    )


def _charge(rule: PolicyRule, facts: Facts, ctx: Context) -> Decision:
    price = ctx.policy.price
    assert price is not None  # the loader requires a price for charge rules
    offer = ppc.read_offer(facts.request.headers)
    if offer is None:
        return crawler_error(ctx.policy, rule.name, ppc.missing_price(price))
    sig = facts.paid_signature
    refused = _offer_refused(offer, sig, price)
    if refused is not None:
        return crawler_error(ctx.policy, rule.name, refused)
    assert isinstance(sig, Verified)
    return Decision(
        Outcome.CHARGED,
        rule.name,
        forward=True,
        agent=(sig.agent or f"keyid:{sig.keyid}")[:80],
        charge=price,
        charge_nonce=f"{sig.keyid[:43]}:{sig.nonce}",
    )


def _offer_refused(
    offer: ppc.Offer | ppc.CrawlerError, sig: Verified | SignatureError | None, price: ppc.Price
) -> ppc.CrawlerError | None:
    """Why a paid request cannot be served, or None: the offer must parse, be signed (the
    signature covering it), pay the price and carry a nonce (what makes it single-use)."""
    if isinstance(offer, ppc.CrawlerError):
        return offer
    if sig is None:
        return ppc.STRONG_AUTH
    if isinstance(sig, SignatureError):
        return ppc.invalid_signature(sig.message)
    refused = ppc.accept(offer, price)
    if refused is None and (not sig.nonce or len(sig.nonce) > MAX_NONCE):
        why = f"a paid request's signature needs a nonce (1-{MAX_NONCE})"
        return ppc.invalid_signature(why)
    return refused


def _challenge(rule: PolicyRule, facts: Facts, ctx: Context) -> Decision:
    cookie = _cookie(facts.request.headers.get("cookie", ""), COOKIE)
    who = facts.client
    if cookie is not None and ctx.pow.pass_valid(cookie, client=who, now=facts.now):
        return Decision(Outcome.PASSED, rule.name, forward=True)
    settings = ctx.policy.pow
    ch = ctx.pow.issue(
        client=who, difficulty=settings.difficulty, now=facts.now, ttl_s=settings.ttl_s
    )
    d = refuse(
        rule.name,
        401,
        "challenge_required",
        f"solve the proof of work: SHA-256 of '<challenge>:<nonce>' starting with "
        f"{ch.difficulty} hex zeros, then POST challenge and nonce to /.well-known/syndic/pow",
        headers={
            "WWW-Authenticate": f'Syndic-PoW challenge="{ch.text}", difficulty="{ch.difficulty}"'
        },
        challenge=ch.text,
    )
    d.outcome = Outcome.CHALLENGED
    d.difficulty = ch.difficulty
    return d


_ACTIONS: dict[ActionKind, Callable[[PolicyRule, Facts, Context], Decision]] = {
    ActionKind.PASS: _pass,
    ActionKind.REFUSE: _refuse,
    ActionKind.LICENSE: _license,
    ActionKind.CHARGE: _charge,
    ActionKind.CHALLENGE: _challenge,
}


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        k, _, v = part.strip().partition("=")
        if k == name:
            return v
    return None

"""The gate's decision for one request: the first policy rule that holds, then its action.

Facts about the request (its licence token, Web Bot Auth signature, user agent) are
computed only when a rule asks for them, so a pass-through costs a few dictionary lookups.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from syndic.clock import Clock
from syndic.deals.service import DealService
from syndic.errors import AuthError, SyndicError
from syndic.gate import paypercrawl as ppc
from syndic.gate.botauth import Message, SignatureError, Verified, verify_request
from syndic.gate.journal import DecisionRecord, Journal
from syndic.gate.keydir import KeyDirectory
from syndic.gate.licensing import LicenceCheck, LicenceChecker, bearer_of
from syndic.gate.policy import Cond, Policy, PolicyRule, origin_of
from syndic.gate.pow import COOKIE, PowIssuer, client_id
from syndic.payouts.ledger import Ledger
from syndic.provenance.log import TransparencyLog
from syndic.storage.db import Database
from syndic.terms.crawlers import CrawlerList
from syndic.terms.robots import normalise_target

log = logging.getLogger(__name__)
MAX_NONCE = 128  # characters of a paid request's signature nonce


@dataclass(frozen=True)
class GateServices:
    """What the gate needs from the rest of Syndic (the edges build it from ``Syndic``)."""

    db: Database
    deals: DealService
    ledger: Ledger
    log: TransparencyLog
    clock: Clock
    secret: bytes
    crawlers: CrawlerList
    licence_url: str
    terms_headers: Mapping[str, str] = field(default_factory=dict)


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
        """Path and query in the one form ``path:`` patterns match (``normalise_target``)."""
        return normalise_target(self.target)

    @property
    def normal_path(self) -> str:
        return self.normal_target.partition("?")[0]


@dataclass
class Decision:
    outcome: str
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


class Facts:
    """Lazily computed facts about one request."""

    def __init__(self, gate: Gate, req: Request) -> None:
        self.gate = gate
        self.req = req
        self._sig: Verified | SignatureError | None = None
        self._sig_done = False
        self._licence: LicenceCheck | None = None

    @property
    def user_agent(self) -> str:
        return self.req.headers.get("user-agent", "")

    def crawler(self) -> str | None:
        c = self.gate.s.crawlers.match(self.user_agent)
        return None if c is None else c.name

    async def signature(self, require: tuple[str, ...] = ()) -> Verified | SignatureError:
        if require:  # a stricter check than the cached one
            return await self._verify(require)
        if not self._sig_done:
            self._sig = await self._verify(())
            self._sig_done = True
        assert self._sig is not None
        return self._sig

    async def _verify(self, require: tuple[str, ...]) -> Verified | SignatureError:
        r = self.req
        if "signature" not in r.headers and "signature-input" not in r.headers:
            return SignatureError("send both Signature-Input and Signature headers")
        if not self.gate.policy.is_our_authority(r.authority):
            # a signature covers @authority: one made for another site is not for us
            return SignatureError("the signature's @authority is not this site")
        msg = Message(r.method, r.scheme, r.authority, r.path, r.query, r.headers)
        try:
            return await verify_request(
                msg,
                resolve=self.gate.keys.resolve,
                now=self.gate.now(),
                require=require,
                max_validity_s=self.gate.policy.max_signature_validity_s,
            )
        except SignatureError as exc:
            return exc
        except Exception:  # request input must never crash the gate: log it, refuse it
            log.exception("unexpected error verifying a signature")
            return SignatureError("the signature cannot be verified")

    async def licence(self, token: str) -> LicenceCheck:
        if self._licence is None:
            self._licence = await asyncio.to_thread(self.gate.licences.check, token)
        return self._licence


class Gate:
    def __init__(self, services: GateServices, policy: Policy) -> None:
        self.s = services
        self.policy = policy
        self.keys = KeyDirectory(
            static=policy.keys,
            allow_http=policy.allow_http_directories,
            allow_private=policy.allow_private_directories,
        )
        self.licences = LicenceChecker(
            services.db,
            services.deals,
            usage=policy.usage,
            member=policy.member,
            cache_s=policy.licence_cache_s,
        )
        self.pow = PowIssuer(services.secret)
        self.journal = Journal(services.db, services.log, services.clock)
        self.link = f'<{services.licence_url}>; rel="license"; type="application/rsl+xml"'

    def now(self) -> datetime:
        return self.s.clock.now()

    # --- conditions ------------------------------------------------------------------------
    async def holds(self, c: Cond, f: Facts) -> bool:
        k = c.kind
        h = f.req.headers
        if k in ("always", "unsafe_allow_all"):
            return True
        if k == "all":
            return bool(c.children) and all([await self.holds(x, f) for x in c.children])
        if k == "any":
            for x in c.children:
                if await self.holds(x, f):
                    return True
            return False
        if k == "not":
            return not await self.holds(c.children[0], f)
        if k == "licence":
            return bool((bearer_of(h.get("authorization")) is not None) == (c.value == "present"))
        if k == "payment":
            offered = ppc.EXACT in h or ppc.MAX in h
            return bool(offered == (c.value == "offered"))
        if k == "signed":
            return bool(isinstance(await f.signature(), Verified) == c.value)
        if k == "agent":
            sig = await f.signature()
            return isinstance(sig, Verified) and origin_of(sig.agent or "") in c.value
        if k == "keyid":
            sig = await f.signature()
            return isinstance(sig, Verified) and sig.keyid in c.value
        if k == "crawler":
            return bool((f.crawler() is not None) == (c.value == "known-ai"))
        if k == "user_agent":
            return bool(c.value.search(f.user_agent) is not None)
        if k == "path":
            return bool(c.value.priority(f.req.normal_target) >= 0)
        if k == "method":
            return bool(f.req.method in c.value)
        raise AssertionError(f"unknown condition {k}")  # the loader admits no other

    # --- deciding --------------------------------------------------------------------------
    async def decide(self, req: Request) -> Decision:
        f = Facts(self, req)
        for rule in self.policy.rules:
            if await self.holds(rule.cond, f):
                d = await self._act(rule, f)
                break
        else:
            d = self._refuse(
                "no-rule", 403, "forbidden", "no rule of the site's policy admits this request"
            )
        if d.agent == "unknown":
            d.agent = f.crawler() or "unknown"
        if not d.forward:
            d.headers.setdefault("Link", self.link)
        return d

    def _refuse(self, rule: str, status: int, code: str, message: str, **kw: Any) -> Decision:
        outcome = {401: "unauthorized", 402: "payment-required", 403: "refused"}.get(
            status, "bad-request"
        )
        return Decision(outcome, rule, status, False, code, message, **kw)

    def crawler_error(self, rule: str, err: ppc.CrawlerError) -> Decision:
        headers = {ppc.ERROR: err.code}
        if err.status == 402 and self.policy.price is not None:
            headers[ppc.PRICE] = str(self.policy.price)
        code = {400: "bad_request", 402: "payment_required", 403: "forbidden"}[err.status]
        return self._refuse(rule, err.status, code, err.message, headers=headers)

    async def _act(self, rule: PolicyRule, f: Facts) -> Decision:
        a = rule.action
        if a.kind == "pass":
            return Decision("passed", rule.name, forward=True)
        if a.kind == "refuse":
            if a.status == 402:
                headers = {}
                if self.policy.price is not None:
                    headers[ppc.PRICE] = str(self.policy.price)
                return self._refuse(
                    rule.name,
                    402,
                    "payment_required",
                    f"AI use of this site needs a licence: {self.s.licence_url}",
                    headers=headers,
                )
            return self._refuse(
                rule.name,
                403,
                "forbidden",
                f"this crawler is refused; licence terms: {self.s.licence_url}",
                headers={ppc.ERROR: ppc.FORBIDDEN.code},
            )
        if a.kind == "license":
            return await self._license(rule, f)
        if a.kind == "charge":
            return await self._charge(rule, f)
        return self._challenge(rule, f)

    async def _license(self, rule: PolicyRule, f: Facts) -> Decision:
        token = bearer_of(f.req.headers.get("authorization"))
        auth = {"WWW-Authenticate": f'License realm="{self.policy.site}"'}
        if token is None:
            return self._refuse(
                rule.name,
                401,
                "unauthorized",
                "this content needs a licence token: Authorization: License <token>",
                headers=auth,
            )
        check = await f.licence(token)
        if check.grant is None:
            err: SyndicError = check.error or AuthError("licence token refused")
            return self._refuse(
                rule.name,
                err.status,
                err.code,
                err.message,
                headers=auth if err.status == 401 else {},
            )
        g = check.grant
        return Decision(
            "licensed",
            rule.name,
            forward=True,
            agent=f"licensee:{g.licensee_id}",
            grant_licensee=g.licensee_id,
            grant_agreement=g.agreement_id,
        )

    async def _charge(self, rule: PolicyRule, f: Facts) -> Decision:
        price = self.policy.price
        assert price is not None  # the loader requires a price for charge rules
        offer = ppc.read_offer(f.req.headers)
        if offer is None:
            return self._refuse(
                rule.name,
                402,
                "payment_required",
                f"this content costs {price} per request: retry with {ppc.EXACT} or {ppc.MAX}",
                headers={ppc.PRICE: str(price)},
            )
        if isinstance(offer, ppc.CrawlerError):
            return self.crawler_error(rule.name, offer)
        h = f.req.headers
        if "signature" not in h and "signature-input" not in h:
            return self.crawler_error(rule.name, ppc.STRONG_AUTH)
        sig = await f.signature(require=(offer.header,))
        if isinstance(sig, SignatureError):
            return self.crawler_error(rule.name, ppc.invalid_signature(sig.message))
        refused = ppc.accept(offer, price)
        if refused is not None:
            return self.crawler_error(rule.name, refused)
        if not sig.nonce or len(sig.nonce) > MAX_NONCE:
            # the nonce is what makes a paid request single-use: without one, no charge
            return self.crawler_error(
                rule.name,
                ppc.invalid_signature(f"a paid request's signature needs a nonce (1-{MAX_NONCE})"),
            )
        return Decision(
            "charged",
            rule.name,
            forward=True,
            agent=(sig.agent or f"keyid:{sig.keyid}")[:80],
            charge=price,
            charge_nonce=f"{sig.keyid[:43]}:{sig.nonce}",
        )

    def _challenge(self, rule: PolicyRule, f: Facts) -> Decision:
        now = int(self.now().timestamp())
        who = client_id(f.req.client, f.user_agent)
        cookie = _cookie(f.req.headers.get("cookie", ""), COOKIE)
        if cookie is not None and self.pow.pass_valid(cookie, client=who, now=now):
            return Decision("passed", rule.name, forward=True)
        ch = self.pow.issue(
            client=who, difficulty=self.policy.pow.difficulty, now=now, ttl_s=self.policy.pow.ttl_s
        )
        d = self._refuse(
            rule.name,
            401,
            "challenge_required",
            f"solve the proof of work: SHA-256 of '<challenge>:<nonce>' starting with "
            f"{ch.difficulty} hex zeros, then POST challenge and nonce to /.well-known/syndic/pow",
            headers={
                "WWW-Authenticate": (
                    f'Syndic-PoW challenge="{ch.text}", difficulty="{ch.difficulty}"'
                )
            },
            challenge=ch.text,
        )
        d.outcome = "challenged"
        d.difficulty = ch.difficulty
        return d

    # --- recording -------------------------------------------------------------------------
    def record(self, req: Request, d: Decision, status: int) -> DecisionRecord:
        return DecisionRecord(
            site=self.policy.site,
            outcome=d.outcome,
            rule=d.rule,
            status=status,
            agent=d.agent,
            path=req.normal_path,
            at=self.now(),
            licensee_id=d.grant_licensee,
            agreement_id=d.grant_agreement,
            member_id=self.policy.member,
        )


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        k, _, v = part.strip().partition("=")
        if k == name:
            return v
    return None

"""``Gate``: gathers the facts about a request through the port and the key directory, then
lets the pure ``decide`` answer. Facts are gathered only when a rule can read them, so a
pass-through costs a few dictionary lookups."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from syndic.clock import Clock
from syndic.errors import SignatureError
from syndic.gate import paypercrawl as ppc
from syndic.gate.botauth import Message, Verified, verify_request
from syndic.gate.decide import Context, Decision, Facts, Request, decide, first_rule
from syndic.gate.keydir import KeyDirectory
from syndic.gate.licensing import LicenceCheck, LicenceChecker, bearer_of
from syndic.gate.policy import ActionKind, Policy
from syndic.gate.port import DecisionRecord, GatePort
from syndic.gate.pow import PowIssuer
from syndic.terms.crawlers import CrawlerList

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GateSetup:
    """What the gate reads from the rest of Syndic besides the port."""

    clock: Clock
    secret: bytes  # derived from the coalition key: signs challenges and passes
    crawlers: CrawlerList  # loaded once
    licence_url: str
    terms_headers: Mapping[str, str] = field(default_factory=dict)


class Gate:
    def __init__(self, port: GatePort, policy: Policy, setup: GateSetup) -> None:
        self.port = port
        self.policy = policy
        self.setup = setup
        self.keys = KeyDirectory(
            static=policy.keys,
            allow_http=policy.allow_http_directories,
            allow_private=policy.allow_private_directories,
        )
        self.licences = LicenceChecker(self._check_licence, cache_s=policy.licence_cache_s)
        self.pow = PowIssuer(setup.secret)
        self.ctx = Context(policy, self.pow, setup.licence_url)
        # what each action reads beyond the request (only the matched rule's is gathered)
        self._evidence: dict[ActionKind, Callable[[Request], Awaitable[dict[str, Any]]]] = {
            ActionKind.LICENSE: self._licence,
            ActionKind.CHARGE: self._paid_signature,
            ActionKind.CHALLENGE: self._now,
        }

    def _check_licence(self, token: str) -> LicenceCheck:
        return self.port.check_licence(token, usage=self.policy.usage, member=self.policy.member)

    def now_s(self) -> int:
        return int(self.setup.clock.now().timestamp())

    async def decide(self, req: Request) -> Decision:
        return decide(await self.facts(req), self.ctx)

    async def facts(self, req: Request) -> Facts:
        """The facts the rules can read, and what the first rule that holds acts on."""
        c = self.setup.crawlers.match(req.headers.get("user-agent", ""))
        sig = await self._verify(req, ()) if self.policy.needs_signature else None
        f = Facts(req, crawler=None if c is None else c.name, signature=sig)
        rule = first_rule(self.policy, f)
        gather = None if rule is None else self._evidence.get(rule.action.kind)
        return f if gather is None else replace(f, **await gather(req))

    async def _licence(self, req: Request) -> dict[str, Any]:
        token = bearer_of(req.headers.get("authorization"))
        if token is None:
            return {}
        return {"licence": await asyncio.to_thread(self.licences.check, token)}

    async def _paid_signature(self, req: Request) -> dict[str, Any]:
        offer = ppc.read_offer(req.headers)
        if not isinstance(offer, ppc.Offer) or not _signed(req):
            return {}
        return {"paid_signature": await self._verify(req, (offer.header,))}

    async def _now(self, req: Request) -> dict[str, Any]:
        return {"now": self.now_s()}

    async def _verify(self, r: Request, require: tuple[str, ...]) -> Verified | SignatureError:
        if not _signed(r):
            return SignatureError("send both Signature-Input and Signature headers")
        if not self.policy.is_our_authority(r.authority):
            # a signature covers @authority: one made for another site is not for us
            return SignatureError("the signature's @authority is not this site")
        msg = Message(r.method, r.scheme, r.authority, r.path, r.query, r.headers)
        try:
            return await verify_request(
                msg,
                resolve=self.keys.resolve,
                now=self.setup.clock.now(),
                require=require,
                max_validity_s=self.policy.max_signature_validity_s,
            )
        except SignatureError as exc:
            return exc
        except Exception:  # request input must never crash the gate: log it, refuse it
            log.exception("unexpected error verifying a signature")
            return SignatureError("the signature cannot be verified")

    def record(self, req: Request, d: Decision, status: int) -> DecisionRecord:
        return DecisionRecord(
            site=self.policy.site,
            outcome=d.outcome,
            rule=d.rule,
            status=status,
            agent=d.agent,
            path=req.logged_path,
            at=self.setup.clock.now(),
            licensee_id=d.grant_licensee,
            agreement_id=d.grant_agreement,
            member_id=self.policy.member,
        )

    async def aclose(self) -> None:
        await self.port.aclose()
        await self.keys.aclose()


def _signed(r: Request) -> bool:
    """Whether the request carries a signature at all (either header)."""
    return "signature" in r.headers or "signature-input" in r.headers

"""The demo's gate step: a member's page behind the gate on loopback, and three visitors.

An AI crawler without a licence is asked to pay (402), the licensee passes with the token
it obtained from the OLP-style endpoint, and a crawler that signs its requests (Web Bot
Auth) is told the price, then pays it and is charged.
"""

from __future__ import annotations

import hashlib
import json

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from syndic.api.serving import serving_app
from syndic.app import Syndic
from syndic.gate.botauth import Message, jwk_of, sign_request
from syndic.gate.middleware import SERVER_OPTIONS
from syndic.gate.policy import parse_policy

DEMO_POLICY = """\
site: demo-member-site
hosts: [127.0.0.1]
member: any               # the demo's agreement covers the whole pool
usage: ai-train
price: EUR 0.01
web_bot_auth:
  keys: [{jwk}]
rules:
  - name: licensed
    if: {{licence: present}}
    then: license
  - name: pay-per-crawl
    if: {{any: [{{signed: true}}, {{payment: offered}}]}}
    then: charge
  - name: ai-crawlers
    if: {{crawler: known-ai}}
    then: {{refuse: 402}}
  - name: readers
    if: {{unsafe_allow_all: true}}
    then: pass
"""


async def _page(request: Request) -> PlainTextResponse:
    return PlainTextResponse("a member's paper, served by the member's own site")


def demo_gate(syndic: Syndic, *, licence_token: str, seed: int) -> dict[str, object]:
    """Run the three visitors through the gate; what each got, and the site's crawl report."""
    key = Ed25519PrivateKey.from_private_bytes(
        hashlib.sha256(f"demo-crawler-{seed}".encode()).digest()
    )
    policy = parse_policy(DEMO_POLICY.format(jwk=json.dumps(jwk_of(key))), source="demo policy")
    site = Starlette(routes=[Route("/{p:path}", _page)])
    with serving_app(site, what="the demo member's site") as upstream:
        app, gate = syndic.gate_app(policy, upstream)
        with (
            serving_app(app, what="the demo gate", **SERVER_OPTIONS) as url,
            httpx.Client(base_url=url, timeout=30) as http,
        ):
            bot = http.get(
                "/papers/1", headers={"User-Agent": "Mozilla/5.0 (compatible; GPTBot/1.2)"}
            )
            licensed = http.get("/papers/1", headers={"Authorization": f"License {licence_token}"})
            now = int(syndic.clock.now().timestamp())

            def signed(nonce: str, extra: dict[str, str]) -> dict[str, str]:
                msg = Message.of_url("GET", url + "/papers/2", extra)
                sig = sign_request(
                    msg, key, created=now, expires=now + 300, nonce=nonce, extra=list(extra)
                )
                return {**extra, **sig, "User-Agent": "ExampleCrawler/1.0"}

            asked = http.get("/papers/2", headers=signed("demo-1", {}))
            paid = http.get(
                "/papers/2",
                headers=signed(
                    "demo-2", {"crawler-exact-price": asked.headers.get("crawler-price", "")}
                ),
            )
    gate.port.flush()
    return {
        "ai_crawler": f"{bot.status_code} {bot.headers.get('crawler-price', '')}".strip(),
        "licensed": licensed.status_code,
        "price_asked": f"{asked.status_code} {asked.headers.get('crawler-price', '')}",
        "paid": f"{paid.status_code} charged {paid.headers.get('crawler-charged', 'nothing')}",
        "report": syndic.crawl_report(site=policy.site)["sites"][0],
    }

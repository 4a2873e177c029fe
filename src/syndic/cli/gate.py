"""``syndic gate``: the crawler gate in front of a member's site, and its crawl report."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click
import uvicorn
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from syndic.app import Syndic
from syndic.cli.common import Ctx, command, data_dir_option, json_option, print_json, print_table
from syndic.errors import ConfigError, InvalidInput, NotFound
from syndic.gate.decide import Gate, GateServices
from syndic.gate.middleware import ASGIApp, GateMiddleware
from syndic.gate.policy import Policy, load_policy
from syndic.gate.proxy import Upstream
from syndic.gate.report import crawl_report
from syndic.terms.crawlers import load_crawlers
from syndic.terms.formats import RSL_PATH, Site, response_headers


def gate_services(s: Syndic) -> GateServices:
    """Build what the gate needs from a ``Syndic``: its secret comes from the coalition key."""
    raw = s.signing_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    secret = HKDF(hashes.SHA256(), 32, salt=None, info=b"syndic gate v1").derive(raw)
    base = s.settings.public_url.rstrip("/")
    headers: dict[str, str] = {}
    try:
        version, terms = s.terms.current()
        headers = response_headers(terms, Site(base_url=base, coalition=s.name, version=version))
    except NotFound:
        pass  # no terms yet: nothing to advertise, the policy still applies
    return GateServices(
        db=s.db,
        deals=s.deals,
        ledger=s.ledger,
        log=s.log,
        clock=s.clock,
        secret=secret,
        crawlers=load_crawlers(s.settings.data_dir),
        licence_url=f"{base}/{RSL_PATH}",
        terms_headers=headers,
    )


def gate_app(s: Syndic, policy: Policy, upstream: str) -> tuple[ASGIApp, Gate]:
    gate = Gate(gate_services(s), policy)
    return GateMiddleware(Upstream(upstream, timeout_s=policy.upstream_timeout_s), gate), gate


def _listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InvalidInput(f"--listen must be HOST:PORT, not {text!r}")
    return host, int(port)


@click.group(invoke_without_command=True)
@click.option("--upstream", help="The site to protect, e.g. http://127.0.0.1:8080.")
@click.option(
    "--listen", default="127.0.0.1:8090", show_default=True, help="HOST:PORT to serve on."
)
@click.option(
    "--policy",
    "policy_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The gate's policy file (YAML, see docs/gate.md).",
)
@data_dir_option
@click.pass_context
def gate(ctx: click.Context, upstream: str | None, listen: str, policy_path: Path | None) -> None:
    """Run the crawler gate: a reverse proxy that licenses, charges, challenges or refuses."""
    if ctx.invoked_subcommand is not None:
        return
    if upstream is None or policy_path is None:
        raise InvalidInput("syndic gate needs --upstream URL and --policy FILE")
    policy = load_policy(policy_path)  # refused here, before anything listens
    host, port = _listen(listen)
    s = ctx.ensure_object(Ctx).syndic()
    try:
        app, g = gate_app(s, policy, upstream)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    click.echo(f"gate for site {policy.site!r} on http://{host}:{port} -> {upstream}")
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            # the gate answers oversized headers itself (431, JSON); let them reach it
            h11_max_incomplete_event_size=4 * policy.max_header_bytes,
        )
    )
    server.run()
    asyncio.run(g.journal.aclose())


@command(gate, "check")
@click.argument("policy_path", type=click.Path(path_type=Path, dir_okay=False))
def gate_check(policy_path: Path) -> None:
    """Validate a policy file and list its rules (exit 2 with the line of the first error)."""
    policy = load_policy(policy_path)
    for r in policy.rules:
        extra = f" {r.action.status}" if r.action.kind == "refuse" else ""
        click.echo(f"line {r.line}: {r.name} -> {r.action.kind}{extra}")


@command(gate, "report")
@click.option("--site", default=None, help="Only this member site.")
@click.option(
    "--chart",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Also write a chart of requests by outcome per site (SVG).",
)
@json_option
def gate_report(site: str | None, chart: Path | None, as_json: bool) -> None:
    """The crawl report: what the gate decided, per member site."""
    s = click.get_current_context().ensure_object(Ctx).syndic()
    rep = crawl_report(s.db, site=site)
    if chart is not None:
        from syndic.web.charts import bar_chart

        labels, values = [], []
        for e in rep["sites"]:
            for outcome, n in e["by_outcome"].items():
                labels.append(f"{e['site']}: {outcome}")
                values.append(float(n))
        svg = bar_chart(labels, values, title="Gate decisions", xlabel="requests")
        chart.write_text(str(svg), encoding="utf-8")
    if as_json:
        print_json(rep)
        return
    rows = [
        {
            "site": e["site"],
            "requests": e["requests"],
            "outcomes": ", ".join(f"{k} {v}" for k, v in e["by_outcome"].items()),
            "charged": ", ".join(f"{k} {v}" for k, v in e["charged"].items()) or "-",
        }
        for e in rep["sites"]
    ]
    print_table(rows, ["site", "requests", "outcomes", "charged"], title="crawl report")


DEMO_POLICY = """\
site: demo-member-site
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


def demo_gate(s: Syndic, *, licence_token: str, seed: int) -> dict[str, object]:
    """The demo's gate step: a member's page behind the gate on loopback; an AI crawler
    without a licence, the licensee with its token, and a signed crawler paying per crawl."""
    import hashlib
    import json
    import socket
    import threading
    import time

    import httpx
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from syndic.gate.botauth import Message, jwk_of, sign_request
    from syndic.gate.policy import parse_policy

    def serve(app: ASGIApp) -> tuple[str, uvicorn.Server, threading.Thread]:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise ConfigError("a demo server did not start")
            time.sleep(0.02)
        return f"http://127.0.0.1:{port}", server, thread

    async def page(request: object) -> PlainTextResponse:
        return PlainTextResponse("a member's paper, served by the member's own site")

    key = Ed25519PrivateKey.from_private_bytes(
        hashlib.sha256(f"demo-crawler-{seed}".encode()).digest()
    )
    policy = parse_policy(DEMO_POLICY.format(jwk=json.dumps(jwk_of(key))), source="demo policy")
    servers = []
    try:
        up = serve(Starlette(routes=[Route("/{p:path}", page)]))
        servers.append(up)
        app, gate_ = gate_app(s, policy, up[0])
        gw = serve(app)
        servers.append(gw)
        url = gw[0]
        with httpx.Client(base_url=url, timeout=30) as http:
            bot = http.get(
                "/papers/1", headers={"User-Agent": "Mozilla/5.0 (compatible; GPTBot/1.2)"}
            )
            licensed = http.get("/papers/1", headers={"Authorization": f"License {licence_token}"})
            now = int(s.clock.now().timestamp())

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
    finally:
        for _, server, thread in reversed(servers):
            server.should_exit = True
            thread.join(timeout=10)
    gate_.journal.flush()
    return {
        "ai_crawler": f"{bot.status_code} {bot.headers.get('crawler-price', '')}".strip(),
        "licensed": licensed.status_code,
        "price_asked": f"{asked.status_code} {asked.headers.get('crawler-price', '')}",
        "paid": f"{paid.status_code} charged {paid.headers.get('crawler-charged', 'nothing')}",
        "report": crawl_report(s.db, site=policy.site)["sites"][0],
    }

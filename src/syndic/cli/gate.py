"""``syndic gate``: the crawler gate in front of a member's site, and its crawl report."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click
import uvicorn

from syndic.cli.common import Ctx, command, data_dir_option, json_option, print_json, print_table
from syndic.errors import ConfigError, InvalidInput
from syndic.gate.middleware import SERVER_OPTIONS
from syndic.gate.policy import load_policy


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
@click.option(
    "--trust-proxy",
    default="127.0.0.1",
    show_default=True,
    help="Comma-separated addresses of reverse proxies whose X-Forwarded-For names the client "
    "(the address proof-of-work passes are bound to); '' believes no proxy.",
)
@data_dir_option
@click.pass_context
def gate(
    ctx: click.Context,
    upstream: str | None,
    listen: str,
    policy_path: Path | None,
    trust_proxy: str,
) -> None:
    """Run the crawler gate: a reverse proxy that licenses, charges, challenges or refuses."""
    if ctx.invoked_subcommand is not None:
        return
    if upstream is None or policy_path is None:
        raise InvalidInput("syndic gate needs --upstream URL and --policy FILE")
    policy = load_policy(policy_path)  # refused here, before anything listens
    host, port = _listen(listen)
    s = ctx.ensure_object(Ctx).syndic()
    try:
        app, g = s.gate_app(policy, upstream)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    click.echo(f"gate for site {policy.site!r} on http://{host}:{port} -> {upstream}")
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            proxy_headers=bool(trust_proxy.strip()),
            forwarded_allow_ips=trust_proxy.strip() or None,
            # the gate answers oversized headers itself (431, JSON); let them reach it
            h11_max_incomplete_event_size=4 * policy.max_header_bytes,
            **SERVER_OPTIONS,  # the site's Date and Server go through, not a second pair
        )
    )
    server.run()
    asyncio.run(g.port.aclose())


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
    rep = s.crawl_report(site=site)
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

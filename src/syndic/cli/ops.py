"""``syndic init``, ``payout``, ``report``, ``vault``, ``key``, ``serve``, ``demo``."""

from __future__ import annotations

from pathlib import Path

import click

from syndic.app import Syndic
from syndic.auth.service import Role
from syndic.cli.common import (
    Ctx,
    command,
    data_dir_option,
    json_option,
    print_json,
    print_table,
    syndic,
)
from syndic.errors import IntegrityError


@click.command()
@data_dir_option
@click.option("--name", required=True, help="The coalition's name.")
def init(name: str) -> None:
    """Create a coalition: data dir, database, signing key."""
    app = Syndic.init(click.get_current_context().ensure_object(Ctx).settings(), name=name)
    click.echo(f"coalition {app.name!r} created in {app.settings.data_dir}")
    app.close()


@click.group()
def payout() -> None:
    """Revenue, distribution and payouts."""


@command(payout, "book")
@click.argument("agreement_id", type=int)
@click.option("--amount", required=True, help="Amount received, in major units.")
def payout_book(agreement_id: int, amount: str) -> None:
    """Book revenue received under an agreement."""
    from syndic.money import parse_major

    app = syndic()
    app.payouts.book_revenue(agreement_id, parse_major(amount, app.settings.currency))
    click.echo(f"booked {amount} {app.settings.currency} for agreement {agreement_id}")


@command(payout, "distribute")
@click.argument("agreement_id", type=int)
@click.option(
    "--run", "run_id", type=int, default=None, help="Valuation run to weigh by (default newest)."
)
def payout_distribute(agreement_id: int, run_id: int | None) -> None:
    """Distribute an agreement's revenue to members under the charter's payout policy."""
    rows = syndic().distribute(agreement_id, run_id=run_id)
    policy = rows[0].policy if rows else "none"
    click.echo(f"distributed to {len(rows)} members ({policy})")


@command(payout, "run")
def payout_run() -> None:
    """Pay members what they are owed."""
    app = syndic()
    total = app.payouts.pay_out()
    click.echo(f"paid out {total} minor units ({app.settings.currency})")


@command(payout, "crawl-owed")
@click.option("--agent", default=None, help="Only this crawler (as the crawl report names it).")
@json_option
def payout_crawl_owed(agent: str | None, as_json: bool) -> None:
    """Pay-per-crawl charges per crawler and site: charged, settled, still owed."""
    app = syndic()
    rows = [r.view() for r in app.payouts.crawl_owed(agent=agent)]
    if as_json:
        print_json(rows)
    else:
        cols = ["agent", "site", "member", "currency", "charged_minor", "owed_minor"]
        print_table(rows, cols, title=f"{len(rows)} crawler/site pairs charged")


@command(payout, "crawl-collect")
@click.option("--agent", required=True, help="The crawler whose operator paid.")
@click.option("--amount", required=True, help="Amount received, in major units.")
@json_option
def payout_crawl_collect(agent: str, amount: str, as_json: bool) -> None:
    """Book money received for pay-per-crawl charges; credit the crawled sites' members."""
    from syndic.money import Money, parse_major

    app = syndic()
    cur = app.settings.currency
    parts = app.payouts.collect_crawl(agent, parse_major(amount, cur))
    if as_json:
        print_json({"agent": agent, "currency": cur, "credited": [p.view() for p in parts]})
    else:
        for p in parts:
            click.echo(f"{p.site}: member {p.member_id} credited {Money(p.amount_minor, cur)}")
        click.echo("paid to members by the next `syndic payout run`")


@command(payout, "statements")
@click.option("--member", "member_id", type=int)
@json_option
def payout_statements(member_id: int | None, as_json: bool) -> None:
    """Statements explaining each member's share."""
    rows = syndic().payouts.statements(member_id=member_id)
    if as_json:
        print_json(rows)
    else:
        print_table(
            [r.model_dump() for r in rows],
            ["member_id", "agreement_id", "amount_minor", "policy"],
            "Statements",
        )


@click.command()
@data_dir_option
@json_option
def report(as_json: bool) -> None:
    """Counts and money, read from the database."""
    r = syndic().report()
    if as_json:
        print_json(r)
    else:
        click.echo("\n".join(f"{k:>18}: {v}" for k, v in r.items()))


@click.group()
def vault() -> None:
    """The content-addressed vault."""


@command(vault, "verify")
@json_option
def vault_verify(as_json: bool) -> None:
    """Rehash every blob the database names; name missing or corrupted ones."""
    rep = syndic().verify_vault()
    out = {
        "checked": rep.checked,
        "missing": [str(d) for d in rep.missing],
        "corrupted": [str(d) for d in rep.corrupted],
        "orphans": [str(d) for d in rep.orphans],
        "stray_files": [p.name for p in rep.stray],
        "ok": rep.ok,
    }
    if as_json:
        print_json(out)
    else:
        click.echo(f"checked {rep.checked} blobs")
        if rep.orphans or rep.stray:
            click.echo(
                f"{len(rep.orphans)} orphan blob(s) no work names and {len(rep.stray)} stray "
                "file(s), left by interrupted writes: `syndic vault gc` removes them"
            )
    if not rep.ok:
        bad = [f"missing {d}" for d in rep.missing] + [f"corrupted {d}" for d in rep.corrupted]
        raise IntegrityError(f"vault check failed: {len(bad)} bad blob(s): " + "; ".join(bad[:5]))


@command(vault, "gc")
@click.option(
    "--older-than",
    default=600.0,
    show_default=True,
    help="Seconds: leave anything younger (a write may be under way elsewhere).",
)
@json_option
def vault_gc(older_than: float, as_json: bool) -> None:
    """Remove blobs no work names and stray temporary files; logged (vault.collected)."""
    g = syndic().members.collect_garbage(older_than=older_than)
    if as_json:
        print_json({"orphans": [str(d) for d in g.orphans], "stray": [p.name for p in g.stray]})
    else:
        click.echo(f"removed {len(g.orphans)} orphan blob(s) and {len(g.stray)} stray file(s)")


@click.group()
def key() -> None:
    """API keys."""


@command(key, "create")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--subject", "subject_id", type=int, help="Member or licensee id.")
@click.option("--label", default="")
def key_create(role: str, subject_id: int | None, label: str) -> None:
    """Create an API key (printed once; only its hash is stored)."""
    click.echo(syndic().keys.create(role=Role(role), subject_id=subject_id, label=label))


@click.command()
@data_dir_option
@click.option("--host", default=None, help="Default 127.0.0.1.")
@click.option("--port", type=int, default=None, help="Default 8000.")
def serve(host: str | None, port: int | None) -> None:
    """Run the API over the data dir."""
    import uvicorn

    from syndic.api.app import create_app

    app = syndic()
    uvicorn.run(
        create_app(app),
        host=host or app.settings.host,
        port=port or app.settings.port,
        log_level="info",
    )


@click.command()
@data_dir_option
@click.option(
    "--source",
    type=click.Path(path_type=Path),
    default=None,
    help="Corpus JSONL (default: data/arxiv/producers300.jsonl under $SYNDIC_SHARED_DIR, "
    "../shared, or the shared/ folder beside the checkout).",
)
@click.option("--seed", default=0, show_default=True)
def demo(source: Path | None, seed: int) -> None:
    """Run one whole bargaining round on a fresh data dir."""
    from syndic.demo import run_demo

    run_demo(click.get_current_context().ensure_object(Ctx).settings(), source=source, seed=seed)

"""``syndic init``, ``payout``, ``vault``, ``key``, ``serve``, ``demo``."""

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
from syndic.money import parse_major, show


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
@click.option(
    "--yes", "over_price", is_flag=True, help="Confirm an amount above the agreement's price."
)
def payout_book(agreement_id: int, amount: str, over_price: bool) -> None:
    """Book revenue received under an agreement."""
    app = syndic()
    minor = parse_major(amount, app.settings.currency)
    app.payouts.book_revenue(agreement_id, minor, over_price=over_price)
    click.echo(f"booked {show(minor, app.settings.currency)} for agreement {agreement_id}")


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
@json_option
def payout_run(as_json: bool) -> None:
    """Pay members what they are owed; deliver to the rail every payment it lacks (safe to
    run again after a crash: each payment reaches the rail once)."""
    app = syndic()
    run = app.payouts.run()
    if as_json:
        print_json({**vars(run), "currency": app.settings.currency})
        return
    click.echo(
        f"paid out {show(run.paid_minor, app.settings.currency)} in {run.payments} "
        f"payments; {run.delivered} instructions delivered to the rail"
    )


@command(payout, "reconcile")
@json_option
def payout_reconcile(as_json: bool) -> None:
    """Compare the rail's instructions with the payments and the ledger; name every difference."""
    rep = syndic().payouts.reconcile()
    if as_json:
        print_json(rep.to_dict())
    elif rep.ok:
        click.echo(f"reconciled: {rep.payments} payments, {rep.rail_lines} rail instructions")
    else:
        for d in rep.differences[1:]:
            click.echo(f"{d.kind}: {d.message}")
    if not rep.ok:
        first = rep.differences[0]
        raise IntegrityError(
            f"payouts do not reconcile ({len(rep.differences)} difference(s)); "
            f"{first.kind}: {first.message}"
        )


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
    app = syndic()
    cur = app.settings.currency
    parts = app.payouts.collect_crawl(agent, parse_major(amount, cur))
    if as_json:
        print_json({"agent": agent, "currency": cur, "credited": [p.view() for p in parts]})
    else:
        for p in parts:
            click.echo(f"{p.site}: member {p.member_id} credited {show(p.amount_minor, cur)}")
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
            ["member_id", "agreement_id", "amount_minor", "explanation"],
            "Statements",
        )


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


@command(key, "list")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=None)
@click.option("--subject", "subject_id", type=int, default=None, help="Member or licensee id.")
@click.option("--all", "revoked", is_flag=True, help="Include revoked keys.")
@json_option
def key_list(role: str | None, subject_id: int | None, revoked: bool, as_json: bool) -> None:
    """API keys in force (never the keys themselves: they are shown once, at creation)."""
    rows = syndic().keys.list(
        role=Role(role) if role else None, subject_id=subject_id, revoked=revoked
    )
    if as_json:
        print_json([vars(r) for r in rows])
    else:
        cols = ["id", "role", "subject_id", "label", "created_at", "revoked_at"]
        print_table([vars(r) for r in rows], cols, title=f"{len(rows)} API keys")


@command(key, "revoke")
@click.argument("key_id", type=int)
@click.option("--reason", default="", help="Why (logged).")
def key_revoke(key_id: int, reason: str) -> None:
    """Revoke an API key: it stops working at once."""
    syndic().keys.revoke(key_id, reason=reason)
    click.echo(f"API key {key_id} revoked")


@click.command()
@data_dir_option
@click.option("--host", default=None, help="Default 127.0.0.1.")
@click.option("--port", type=int, default=None, help="Default 8000.")
def serve(host: str | None, port: int | None) -> None:
    """Serve the web pages (at /) and the API (under /v1) over the data dir."""
    import uvicorn

    from syndic.web.site import create_site

    app = syndic()
    uvicorn.run(
        create_site(app),
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

"""``syndic terms``: the coalition's licence terms, set, shown and published."""

from __future__ import annotations

from pathlib import Path

import click
from pydantic import ValidationError

from syndic.cli.common import (
    Ctx,
    command,
    data_dir_option,
    json_option,
    print_json,
    print_table,
    syndic,
)
from syndic.errors import InvalidInput
from syndic.money import parse_major
from syndic.terms.crawlers import load_crawlers, refresh_crawlers
from syndic.terms.models import PaymentType, Terms, Usage
from syndic.validation import first_error

USAGES = click.Choice([u.value for u in Usage])


def build_terms(
    permit: tuple[str, ...],
    prohibit: tuple[str, ...],
    price: str,
    currency: str,
    payment: str,
    days: int,
) -> Terms:
    try:
        return Terms(
            permits=frozenset(Usage(u) for u in permit),
            prohibits=frozenset(Usage(u) for u in prohibit),
            payment_type=PaymentType(payment),
            amount_minor=parse_major(price, currency),
            currency=currency,
            duration_days=days,
        )
    except ValidationError as exc:
        raise InvalidInput(first_error(exc, "terms")) from exc


def terms_options(fn: click.decorators.FC) -> click.decorators.FC:
    for opt in reversed(
        [
            click.option(
                "--permit", multiple=True, type=USAGES, help="Permitted usage (repeatable)."
            ),
            click.option(
                "--prohibit", multiple=True, type=USAGES, help="Prohibited usage (repeatable)."
            ),
            click.option("--price", default="0", help="Amount in major units, e.g. 2500.00."),
            click.option(
                "--currency", default=None, help="ISO 4217 code (default: the coalition's)."
            ),
            click.option(
                "--payment", default="training", type=click.Choice([p.value for p in PaymentType])
            ),
            click.option("--days", default=365, type=int, help="Duration of a licence in days."),
        ]
    ):
        fn = opt(fn)
    return fn


@click.group()
def terms() -> None:
    """The coalition's published licence terms."""


@command(terms, "set")
@terms_options
def terms_set(
    permit: tuple[str, ...],
    prohibit: tuple[str, ...],
    price: str,
    currency: str | None,
    payment: str,
    days: int,
) -> None:
    """Publish a new version of the coalition's terms."""
    app = syndic()
    version = app.terms.publish(
        build_terms(permit, prohibit, price, currency or app.settings.currency, payment, days)
    )
    click.echo(f"terms version {version} published")


@command(terms, "show")
@json_option
def terms_show(as_json: bool) -> None:
    """Show the terms in force."""
    version, t = syndic().terms.current()
    doc = {"version": version, **t.document()}
    if as_json:
        print_json(doc)
    else:
        click.echo("\n".join(f"{k}: {v}" for k, v in doc.items()))


@command(terms, "publish")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Directory to write the files to (e.g. the site's web root).",
)
@click.option("--base-url", default=None, help="Where the files are served (default: public_url).")
@json_option
def terms_publish(out: Path, base_url: str | None, as_json: bool) -> None:
    """Write the terms in force as RSL, robots.txt, TDMRep, ai.txt and HTTP headers."""
    app = syndic()
    written = app.publish_terms(out, base_url=base_url)
    if as_json:
        print_json({"out": str(out), "files": [str(p.relative_to(out)) for p in written]})
    else:
        for p in written:
            click.echo(str(p))


@click.group()
@data_dir_option
def crawlers() -> None:
    """The AI crawler list (ai.robots.txt) that robots.txt and the gate use."""


terms.add_command(crawlers)


@command(crawlers, "list")
@json_option
def crawlers_list(as_json: bool) -> None:
    """Show the AI crawler list in use and where it came from."""
    ctx = click.get_current_context().find_object(Ctx)
    lst = load_crawlers(ctx.settings().data_dir if ctx else None)
    rows = [{"name": c.name, "operator": c.operator, "function": c.function} for c in lst.crawlers]
    if as_json:
        print_json({"source": lst.source, "count": len(rows), "crawlers": rows})
    else:
        print_table(rows, ["name", "function"], title=f"{len(rows)} crawlers ({lst.source})")


@command(crawlers, "refresh")
@click.option(
    "--from", "source", required=True, help="URL or file of an ai.robots.txt robots.json."
)
def crawlers_refresh(source: str) -> None:
    """Replace the local AI crawler list with a newer robots.json (validated first)."""
    ctx = click.get_current_context().ensure_object(Ctx)
    lst = refresh_crawlers(source, ctx.settings().data_dir)
    click.echo(f"{len(lst.crawlers)} crawlers from {source}")

"""``syndic terms``: the coalition's licence terms, set, shown and published."""

from __future__ import annotations

import click

from syndic.cli.common import command, json_option, print_json, syndic
from syndic.errors import InvalidInput
from syndic.money import parse_major
from syndic.terms.models import PaymentType, Terms, Usage
from syndic.terms.registry import terms_document

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
    except ValueError as exc:
        raise InvalidInput(str(exc).splitlines()[-1] if "\n" in str(exc) else str(exc)) from exc


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
    s = syndic()
    version = s.terms.publish(
        build_terms(permit, prohibit, price, currency or s.settings.currency, payment, days)
    )
    click.echo(f"terms version {version} published")


@command(terms, "show")
@json_option
def terms_show(as_json: bool) -> None:
    """Show the terms in force."""
    version, t = syndic().terms.current()
    doc = {"version": version, **terms_document(t)}
    if as_json:
        print_json(doc)
    else:
        click.echo("\n".join(f"{k}: {v}" for k, v in doc.items()))

"""``syndic licensee``, ``deal``, ``export``: negotiation, the deal's vote, agreements."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from syndic.cli.common import (
    command,
    data_dir_option,
    json_option,
    print_json,
    print_table,
    print_told,
    syndic,
)
from syndic.cli.terms import build_terms, terms_options
from syndic.deals.offers import Offer
from syndic.deals.states import Party
from syndic.errors import InvalidInput
from syndic.money import Money, parse_major
from syndic.storage.files import write_lines
from syndic.terms.models import Terms
from syndic.validation import first_error


@click.group()
def licensee() -> None:
    """AI builders who license the pool."""


@command(licensee, "add")
@click.option("--name", required=True)
@click.option("--contact", required=True)
@click.option("--public-key", help="The licensee's Ed25519 public key (base64), to sign with.")
@click.option("--mau", "monthly_active_users", type=int, default=0, help="Monthly active users.")
@json_option
def licensee_add(
    name: str, contact: str, public_key: str | None, monthly_active_users: int, as_json: bool
) -> None:
    """Register a licensee."""
    lic = syndic().deals.register_licensee(
        name=name, contact=contact, public_key=public_key, monthly_active_users=monthly_active_users
    )
    print_json(lic) if as_json else click.echo(f"licensee {lic.id}: {lic.name}")


@command(licensee, "key")
@click.argument("licensee_id", type=int)
@click.option("--public-key", required=True, help="Ed25519 public key, base64.")
def licensee_key(licensee_id: int, public_key: str) -> None:
    """Register the key a licensee signs its agreements with."""
    syndic().deals.register_key(licensee_id, public_key, actor="steward")
    click.echo(f"licensee {licensee_id}: public key registered")


@command(licensee, "users")
@click.argument("licensee_id", type=int)
@click.option("--mau", "monthly_active_users", type=click.IntRange(min=0), required=True)
def licensee_users(licensee_id: int, monthly_active_users: int) -> None:
    """Record the monthly active users a licensee reported (the market-leader clause)."""
    app = syndic()
    lic = app.deals.report_users(licensee_id, monthly_active_users, actor=f"licensee:{licensee_id}")
    big = app.deals.requires_negotiation(lic.id)
    click.echo(
        f"licensee {lic.id}: {lic.monthly_active_users} monthly active users"
        + ("; a very large platform: it needs a negotiated licence" if big else "")
    )


@command(licensee, "list")
@json_option
def licensee_list(as_json: bool) -> None:
    """List licensees."""
    rows = syndic().deals.list_licensees()
    if as_json:
        print_json(rows)
    else:
        print_table(
            [r.model_dump() for r in rows],
            ["id", "name", "contact", "monthly_active_users"],
            "Licensees",
        )


@click.group()
def deal() -> None:
    """Negotiation, the members' vote, and agreements."""


def _installment(spec: str, currency: str) -> dict[str, int]:
    days, sep, amount = spec.partition("=")
    if not sep or not days.strip().isdigit():
        raise InvalidInput(f"an installment is DAYS=AMOUNT, e.g. 90=1000.00; got {spec!r}")
    return {"due_days": int(days), "amount_minor": parse_major(amount, currency)}


def offer_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Everything an offer carries: terms, scope, payment schedule, reporting duties."""
    fn = click.option(
        "--report-days", default=90, show_default=True, help="Usage report every N days."
    )(fn)
    fn = click.option(
        "--installment",
        "installments",
        multiple=True,
        help="DAYS=AMOUNT: a payment due DAYS after the start (repeatable; must add up to "
        "the price). Default: the whole price at the start.",
    )(fn)
    fn = click.option(
        "--collection", "collections", multiple=True, help="Limit to these collections."
    )(fn)
    return terms_options(fn)


def _offer(kw: dict[str, Any], currency: str) -> Offer:
    cur = kw["currency"] or currency
    terms = build_terms(kw["permit"], kw["prohibit"], kw["price"], cur, kw["payment"], kw["days"])
    return Offer.build(
        terms=terms,
        scope=list(kw["collections"]),
        payment_schedule=[_installment(x, cur) for x in kw["installments"]],
        reporting={"usage_report_days": kw["report_days"]},
    )


def _counter_offer(kw: dict[str, Any], currency: str, base: dict[str, Any]) -> Offer:
    """The latest offer with what was given on the command line changed: a counter-offer is
    complete (docs/governance.md), but a person types only what they change."""
    ctx = click.get_current_context()

    def given(name: str) -> bool:
        return ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT

    t = dict(base["terms"])
    cur = kw["currency"] or t.get("currency") or currency
    if given("permit"):
        t["permits"] = list(kw["permit"])
    if given("prohibit"):
        t["prohibits"] = list(kw["prohibit"])
    if given("payment"):
        t["payment_type"] = kw["payment"]
    if given("days"):
        t["duration_days"] = kw["days"]
    schedule = base.get("payment_schedule", [])
    if given("price"):
        t["amount_minor"] = parse_major(kw["price"], cur)
        schedule = []  # a new price is due at the start unless installments are given
    if given("installments"):
        schedule = [_installment(x, cur) for x in kw["installments"]]
    reporting = dict(base.get("reporting", {}))
    if given("report_days"):
        reporting["usage_report_days"] = kw["report_days"]
    t["currency"] = cur
    try:
        terms = Terms.model_validate(t)
    except ValidationError as exc:
        raise InvalidInput(first_error(exc, "terms")) from exc
    return Offer.build(
        terms=terms,
        scope=list(kw["collections"]) if given("collections") else base.get("scope", []),
        payment_schedule=schedule,
        reporting=reporting,
    )


@command(deal, "offer")
@click.option("--licensee", "licensee_id", type=int, required=True)
@offer_options
@json_option
def deal_offer(licensee_id: int, as_json: bool, **kw: Any) -> None:
    """Record a licensee's opening offer."""
    app = syndic()
    d = app.deals.offer(
        licensee_id=licensee_id,
        offer=_offer(kw, app.settings.currency),
        actor=f"licensee:{licensee_id}",
    )
    print_json(d) if as_json else click.echo(f"deal {d.id} offered")


@command(deal, "draft")
@click.option("--licensee", "licensee_id", type=int, required=True)
@offer_options
@json_option
def deal_draft(licensee_id: int, as_json: bool, **kw: Any) -> None:
    """Prepare the coalition's offer to a licensee (send it with `deal send`)."""
    app = syndic()
    d = app.deals.draft(licensee_id=licensee_id, offer=_offer(kw, app.settings.currency))
    print_json(d) if as_json else click.echo(f"deal {d.id} drafted")


@command(deal, "send")
@click.argument("deal_id", type=int)
def deal_send(deal_id: int) -> None:
    """Send a drafted offer to the licensee."""
    d = syndic().deals.send(deal_id)
    click.echo(f"deal {d.id}: offered (round {d.round}, answer by {d.offer_expires_at:%Y-%m-%d})")


@command(deal, "counter")
@click.argument("deal_id", type=int)
@click.option(
    "--as",
    "party",
    type=click.Choice([p.value for p in Party]),
    default=Party.COALITION.value,
    show_default=True,
    help="Whose counter-offer this is (the steward records a licensee's, too).",
)
@offer_options
@json_option
def deal_counter(deal_id: int, party: str, as_json: bool, **kw: Any) -> None:
    """Answer the other side's offer with a counter-offer: the latest offer with the options
    given changed (e.g. only --price)."""
    app = syndic()
    who = Party(party)
    lic = app.deals.get_deal(deal_id).licensee_id if who is Party.LICENSEE else None
    history = app.deals.offers(deal_id)
    offer = (
        _counter_offer(kw, app.settings.currency, history[-1].offer)
        if history
        else _offer(kw, app.settings.currency)
    )
    d = app.deals.counter(
        deal_id,
        offer,
        party=who,
        licensee_id=lic,
        actor="steward" if lic is None else f"licensee:{lic}",
    )
    print_json(d) if as_json else click.echo(f"deal {d.id}: countered (round {d.round})")


@command(deal, "accept")
@click.argument("deal_id", type=int)
def deal_accept(deal_id: int) -> None:
    """Record the licensee's acceptance of the coalition's latest offer."""
    app = syndic()
    lic = app.deals.get_deal(deal_id).licensee_id
    d = app.deals.accept(deal_id, licensee_id=lic, actor=f"licensee:{lic}")
    click.echo(f"deal {d.id}: accepted by licensee {lic}")


@command(deal, "offers")
@click.argument("deal_id", type=int)
@json_option
def deal_offers(deal_id: int, as_json: bool) -> None:
    """Every offer and counter-offer on a deal, with what each changed."""
    rows = syndic().deals.offers(deal_id)
    if as_json:
        print_json(rows)
        return
    for o in rows:
        click.echo(f"round {o.round} by {o.party} ({o.actor}), answer by {o.expires_at}")
        for c in o.diff:
            click.echo(f"  {c['field']}: {c['from']!r} -> {c['to']!r}")


@command(deal, "assess")
@click.argument("deal_id", type=int)
@json_option
def deal_assess(deal_id: int, as_json: bool) -> None:
    """Is the deal's latest offer a good deal? Its price in the leverage range, the floors and
    red lines it breaks, the works it leaves out, each member's projected payout."""
    a = syndic().assess_deal(deal_id)
    if as_json:
        print_json(a)
        return
    _print_assessment(a)


def _print_assessment(a: dict[str, Any]) -> None:
    click.echo(
        f"deal {a['deal']}: {Money(a['price_minor'], a['currency'])}, "
        f"{a['position']['words']}; {a['works_covered']} works covered, "
        f"{len(a['works_left_out'])} left out"
    )
    for x in a["broken"]:
        click.echo(f"  member {x['member']}: {'; '.join(x['reasons'])}")
    pay = a["payouts"]
    click.echo(f"  projected payouts ({pay['policy']}, {pay['words']}):")
    for m, amount in list(pay["members"].items())[:20]:
        click.echo(f"    member {m}: {Money(amount, a['currency'])}")


@command(deal, "coverage")
@click.argument("deal_id", type=int)
@json_option
def deal_coverage(deal_id: int, as_json: bool) -> None:
    """Which works the deal would cover, and whose are left out and why."""
    c = syndic().deals.coverage(deal_id)
    if as_json:
        print_json(c)
        return
    click.echo(
        f"{c['works_covered']} of {c['works_in_scope']} works covered; held out: "
        f"{c['held_out']['disputed']} disputed, {c['held_out']['excluded_members']} of "
        f"excluded members"
    )
    for x in c["excluded_members"]:
        click.echo(f"  member {x['member']}: {'; '.join(x['reasons'])}")


@command(deal, "open-vote")
@click.argument("deal_id", type=int)
def deal_open_vote(deal_id: int) -> None:
    """Put the deal to the members under the charter's rule for deals."""
    s = syndic()
    d = s.deals.open_vote(deal_id)
    p = s.governance.deal_vote(deal_id)
    click.echo(f"deal {d.id}: vote {p.id} open until {d.vote_closes_at:%Y-%m-%d %H:%M} UTC")
    print_told(p.question)  # what the members vote knowing, as stored with the vote


@command(deal, "close-vote")
@click.argument("deal_id", type=int)
@click.option("--now", "force", is_flag=True, help="Close before the deadline.")
@json_option
def deal_close_vote(deal_id: int, force: bool, as_json: bool) -> None:
    """Tally the vote."""
    d = syndic().deals.close_vote(deal_id, force=force)
    if as_json:
        print_json(d)
    else:
        o = d.outcome or {}
        click.echo(f"deal {d.id}: {d.status} ({o.get('method')}: {o.get('reason')})")


@command(deal, "sign")
@click.argument("deal_id", type=int)
@json_option
def deal_sign(deal_id: int, as_json: bool) -> None:
    """Sign an approved deal for the coalition (the licensee signs next)."""
    app = syndic()
    a = app.deals.sign(deal_id)
    if as_json:
        print_json(a)
    else:
        click.echo(
            f"agreement {a.id} signed by the coalition: {a.works_count} works, scope "
            f"{a.scope_root}; waiting for the licensee's signature "
            f"({app.deals.agreement_path(a.id)})"
        )


@command(deal, "countersign")
@click.argument("agreement_id", type=int)
@click.option("--signature", required=True, help="The licensee's signature (base64).")
def deal_countersign(agreement_id: int, signature: str) -> None:
    """Record the licensee's signature over the agreement document (checked first)."""
    app = syndic()
    lic = app.deals.get_agreement(agreement_id).licensee_id
    a = app.deals.countersign(agreement_id, signature, licensee_id=None, actor="steward")
    click.echo(f"agreement {a.id}: signed by licensee {lic}; {a.status}")


@command(deal, "terminate")
@click.argument("agreement_id", type=int)
@click.option("--reason", required=True)
def deal_terminate(agreement_id: int, reason: str) -> None:
    """End an agreement early (its tokens stop working)."""
    syndic().deals.terminate(agreement_id, reason=reason)
    click.echo(f"agreement {agreement_id}: terminated")


@command(deal, "expire")
@json_option
def deal_expire(as_json: bool) -> None:
    """Lapse offers past their deadline, expire agreements past their end, and lapse
    agreements never countersigned before their end."""
    out = syndic().deals.expire_due()
    print_json(out) if as_json else click.echo(
        f"{out['offers_lapsed']} offers lapsed, {out['agreements_expired']} agreements "
        f"expired, {out['agreements_lapsed']} never countersigned"
    )


@command(deal, "token")
@click.argument("agreement_id", type=int)
def deal_token(agreement_id: int) -> None:
    """Issue an access token for an agreement (shown once)."""
    click.echo(syndic().deals.issue_token(agreement_id))


@command(deal, "list")
@json_option
def deal_list(as_json: bool) -> None:
    """List deals."""
    rows = syndic().deals.list_deals()
    if as_json:
        print_json(rows)
    else:
        print_table(
            [r.model_dump() for r in rows],
            ["id", "licensee_id", "status", "round", "offer_by", "created_at"],
            "Deals",
        )


@command(deal, "agreements")
@json_option
def deal_agreements(as_json: bool) -> None:
    """List agreements."""
    rows = syndic().deals.list_agreements()
    if as_json:
        print_json(rows)
    else:
        print_table(
            [r.model_dump() for r in rows],
            ["id", "licensee_id", "status", "works_count", "ends_at"],
            "Agreements",
        )


@click.command()
@data_dir_option
@click.option("--agreement", "agreement_id", type=int, required=True)
@click.option("--token", required=True, help="An access token for the agreement.")
@click.option("--out", type=click.Path(path_type=Path), required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "webdataset"]),
    default="jsonl",
    show_default=True,
    help="jsonl: one file, non-text works base64-encoded; webdataset: a directory of tar "
    "shards (original files beside their text and metadata) with index.jsonl.",
)
@click.option("--per-shard", default=10_000, show_default=True, help="Works per tar shard.")
def export(agreement_id: int, token: str, out: Path, fmt: str, per_shard: int) -> None:
    """Write the dataset an agreement licenses (metered and logged)."""
    app = syndic()
    grant = app.deals.authorize_delivery(token, agreement_id)
    if fmt == "webdataset":
        from syndic.deals.package import write_shards

        n = write_shards(app.licensed_records(grant), out, per_shard=per_shard)
    else:
        n = write_lines(out, app.licensed_dataset(grant))
    click.echo(f"{n} works written to {out}")

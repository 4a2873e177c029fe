"""``syndic licensee``, ``terms``, ``deal``, ``vote``, ``export``."""

from __future__ import annotations

from pathlib import Path

import click

from syndic.cli.common import command, data_dir_option, json_option, print_json, print_table, syndic
from syndic.cli.terms import build_terms, terms_options
from syndic.errors import ConfigError


@click.group()
def licensee() -> None:
    """AI builders who license the pool."""


@command(licensee, "add")
@click.option("--name", required=True)
@click.option("--contact", required=True)
@click.option(
    "--public-key", help="The licensee's Ed25519 public key (base64), for countersigning."
)
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
    """Offers, votes and agreements."""


@command(deal, "offer")
@click.option("--licensee", "licensee_id", type=int, required=True)
@click.option("--collection", "collections", multiple=True, help="Limit to these collections.")
@terms_options
@json_option
def deal_offer(
    licensee_id: int,
    collections: tuple[str, ...],
    permit: tuple[str, ...],
    prohibit: tuple[str, ...],
    price: str,
    currency: str | None,
    payment: str,
    days: int,
    as_json: bool,
) -> None:
    """Record a licensee's offer."""
    s = syndic()
    t = build_terms(permit, prohibit, price, currency or s.settings.currency, payment, days)
    d = s.deals.offer(
        licensee_id=licensee_id, terms=t, scope=list(collections), actor=f"licensee:{licensee_id}"
    )
    print_json(d) if as_json else click.echo(f"deal {d.id} offered")


@command(deal, "open-vote")
@click.argument("deal_id", type=int)
@click.option("--hours", default=72, show_default=True)
@click.option(
    "--quorum", "quorum_pct", default="50", show_default=True, help="Quorum in percent of members."
)
def deal_open_vote(deal_id: int, hours: int, quorum_pct: str) -> None:
    """Put an offer to the members' vote."""
    from syndic.members.shares import parse_percent

    d = syndic().deals.open_vote(deal_id, hours=hours, quorum_bp=parse_percent(quorum_pct))
    click.echo(f"deal {d.id}: vote open until {d.vote_closes_at:%Y-%m-%d %H:%M} UTC")


@command(deal, "close-vote")
@click.argument("deal_id", type=int)
@click.option("--now", "force", is_flag=True, help="Close before the deadline.")
@json_option
def deal_close_vote(deal_id: int, force: bool, as_json: bool) -> None:
    """Tally the vote."""
    d = syndic().deals.close_vote(deal_id, force=force)
    print_json(d) if as_json else click.echo(f"deal {d.id}: {d.status} {d.outcome}")


@command(deal, "sign")
@click.argument("deal_id", type=int)
@json_option
def deal_sign(deal_id: int, as_json: bool) -> None:
    """Sign an approved deal as an agreement."""
    a = syndic().deals.sign(deal_id)
    print_json(a) if as_json else click.echo(
        f"agreement {a.id} signed: {a.works_count} works, scope {a.scope_root}"
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
            [r.model_dump() for r in rows], ["id", "licensee_id", "status", "created_at"], "Deals"
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


@click.group()
def vote() -> None:
    """Members' votes."""


@command(vote, "cast")
@click.argument("deal_id", type=int)
@click.option("--member", "member_id", type=int, required=True)
@click.option("--choice", type=click.Choice(["yes", "no", "abstain"]), required=True)
def vote_cast(deal_id: int, member_id: int, choice: str) -> None:
    """Cast a member's vote on a deal."""
    syndic().deals.cast_vote(deal_id, member_id=member_id, choice=choice)
    click.echo(f"member {member_id} voted {choice} on deal {deal_id}")


@click.command()
@data_dir_option
@click.option("--agreement", "agreement_id", type=int, required=True)
@click.option("--token", required=True, help="An access token for the agreement.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True)
def export(agreement_id: int, token: str, out: Path) -> None:
    """Write the dataset an agreement licenses as JSONL (metered and logged)."""
    s = syndic()
    grant = s.deals.authorize_delivery(token, agreement_id)
    tmp = out.with_suffix(out.suffix + ".part")
    try:
        with tmp.open("wb") as fh:
            n = sum(fh.write(line) > 0 for line in s.deals.dataset_lines(grant))
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ConfigError(f"cannot write {out}: {exc.strerror}") from exc
    click.echo(f"{n} works written to {out}")

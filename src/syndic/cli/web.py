"""``syndic login-link``: a one-time sign-in link for the pages (printed, not mailed)."""

from __future__ import annotations

import click

from syndic.auth.models import Role
from syndic.auth.signin import DEFAULT_LINK_TTL, parse_ttl
from syndic.cli.common import data_dir_option, syndic
from syndic.errors import InvalidInput


@click.command("login-link")
@data_dir_option
@click.option("--member", "member_id", type=int, default=None, help="Sign in as this member.")
@click.option("--licensee", "licensee_id", type=int, default=None, help="Sign in as this licensee.")
@click.option("--steward", is_flag=True, help="Sign in as the steward.")
@click.option(
    "--ttl",
    default=None,
    help=f"How long the link works, like 15m, 2h or 1d (default "
    f"{int(DEFAULT_LINK_TTL.total_seconds() // 60)}m).",
)
def login_link(
    member_id: int | None, licensee_id: int | None, steward: bool, ttl: str | None
) -> None:
    """Print a one-time sign-in link for the web pages (it works once, then expires)."""
    given = {Role.MEMBER: member_id, Role.LICENSEE: licensee_id}
    chosen: list[tuple[Role, int | None]] = [
        (role, subject) for role, subject in given.items() if subject is not None
    ]
    if steward:
        chosen.append((Role.STEWARD, None))
    if len(chosen) != 1:
        raise InvalidInput("give exactly one of --member ID, --licensee ID or --steward")
    role, subject = chosen[0]
    lifetime = DEFAULT_LINK_TTL if ttl is None else parse_ttl(ttl)
    click.echo(syndic().login_link(role=role, subject_id=subject, ttl=lifetime))

"""``syndic member``, ``syndic work``, ``syndic import``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from syndic.cli.common import command, json_option, print_json, print_table, syndic
from syndic.errors import InvalidInput
from syndic.members.bulk import BATCH
from syndic.members.importer import import_arxiv
from syndic.members.shares import parse_percent
from syndic.money import parse_major
from syndic.progress import stage_bars
from syndic.storage.files import read_input, write_output


@click.group()
def member() -> None:
    """Members and their mandates."""


@command(member, "join")
@click.option("--handle", required=True, help="Unique handle (e.g. an ORCID or a name).")
@click.option("--name", default="", help="Display name.")
@click.option("--payout-account", required=True, help="Where this member's money goes.")
@click.option("--prohibit", multiple=True, help="A usage never allowed (red line), e.g. ai-train.")
@click.option("--floor-price", default="0", help="Lowest licence price accepted, in major units.")
@click.option("--no-vlop", is_flag=True, help="Refuse deals with very large platforms.")
@click.option("--email", default=None, help="Where sign-in links asked for are mailed.")
@json_option
def member_join(
    handle: str,
    name: str,
    payout_account: str,
    prohibit: tuple[str, ...],
    floor_price: str,
    no_vlop: bool,
    email: str | None,
    as_json: bool,
) -> None:
    """Add a member under a mandate."""
    app = syndic()
    m = app.members.join(
        handle=handle,
        name=name,
        payout_account=payout_account,
        prohibited_usages=prohibit,
        floor_price_minor=parse_major(floor_price, app.settings.currency),
        allow_vlop=not no_vlop,
        email=email,
    )
    print_json(m) if as_json else click.echo(f"member {m.id} joined: {m.handle}")


@command(member, "list")
@click.option("--limit", default=1000, show_default=True)
@json_option
def member_list(limit: int, as_json: bool) -> None:
    """List members."""
    rows = syndic().members.list_members(limit=limit)
    if as_json:
        print_json(rows)
    else:
        print_table(
            [r.model_dump() for r in rows], ["id", "handle", "status", "joined_at"], "Members"
        )


@command(member, "show")
@click.argument("member_id", type=int)
@json_option
def member_show(member_id: int, as_json: bool) -> None:
    """Show one member and their mandate."""
    m = syndic().members.get(member_id)
    if as_json:
        print_json(m)
    else:
        click.echo(
            f"{m.id} {m.handle} ({m.status}) joined {m.joined_at:%Y-%m-%d}; mandate: {m.mandate}"
        )


@command(member, "mandate")
@click.argument("member_id", type=int)
@click.option(
    "--prohibit",
    multiple=True,
    help="A usage never allowed (red line); repeat for each. Replaces the red lines.",
)
@click.option("--no-red-lines", is_flag=True, help="Remove every red line.")
@click.option("--floor-price", default=None, help="Lowest licence price accepted (major units).")
@click.option(
    "--vlop/--no-vlop", default=None, help="Allow (or refuse) deals with very large platforms."
)
@json_option
def member_mandate(
    member_id: int,
    prohibit: tuple[str, ...],
    no_red_lines: bool,
    floor_price: str | None,
    vlop: bool | None,
    as_json: bool,
) -> None:
    """Change a member's mandate (logged; binds deals signed from now on)."""
    if prohibit and no_red_lines:
        raise InvalidInput("give --prohibit or --no-red-lines, not both")
    app = syndic()
    m = app.members.change_mandate(
        member_id,
        prohibited_usages=() if no_red_lines else (prohibit or None),
        floor_price_minor=None
        if floor_price is None
        else parse_major(floor_price, app.settings.currency),
        allow_vlop=vlop,
        actor="steward",
    )
    if as_json:
        print_json(m)
    else:
        click.echo(
            f"member {m.id}: mandate changed to {m.mandate}; it applies to deals signed from "
            "now on (signed agreements keep their scope)"
        )


@command(member, "leave")
@click.argument("member_id", type=int)
def member_leave(member_id: int) -> None:
    """A member leaves: their works leave future deals."""
    syndic().members.leave(member_id)
    click.echo(f"member {member_id} has left")


@command(member, "rejoin")
@click.argument("member_id", type=int)
def member_rejoin(member_id: int) -> None:
    """A member who left comes back: their works count in future deals again."""
    syndic().members.rejoin(member_id)
    click.echo(f"member {member_id} has rejoined")


@click.group()
def work() -> None:
    """Works in the pool."""


def _holders(specs: tuple[str, ...]) -> list[tuple[int, int]]:
    out = []
    for spec in specs:
        member_id, sep, pct = spec.partition("=")
        if not sep or not member_id.strip().isdigit():
            raise InvalidInput(f"a holder is MEMBER_ID=PERCENT, got {spec!r}")
        out.append((int(member_id), parse_percent(pct)))
    return out


@command(work, "add")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--title", required=True)
@click.option(
    "--holder", "holders", multiple=True, required=True, help="MEMBER_ID=PERCENT, repeatable."
)
@click.option("--kind", default="text", show_default=True)
@click.option("--collection", default="default", show_default=True)
@click.option(
    "--receipt",
    "receipt_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the registration receipt (checkable offline) to this file.",
)
@json_option
def work_add(
    path: Path,
    title: str,
    holders: tuple[str, ...],
    kind: str,
    collection: str,
    receipt_path: Path | None,
    as_json: bool,
) -> None:
    """Register a work (its content is stored once, by SHA-256) and get its receipt."""
    content = read_input(path)
    parsed = _holders(holders)
    app = syndic()
    w, created = app.catalogue.add_file(
        content,
        name=path.name,
        title=title,
        holders=parsed,
        kind=kind,
        collection=collection,
    )
    if receipt_path is not None:
        write_output(receipt_path, app.provenance.receipt(w.log_index).to_json() + b"\n")
    if as_json:
        print_json({"created": created, "work": w})
    else:
        click.echo(f"{'registered' if created else 'already registered'}: work {w.id} {w.digest}")
        if w.near_copy is not None:
            click.echo(_near_copy_line(w.near_copy))
        if receipt_path is not None:
            click.echo(f"receipt (log entry {w.log_index}) written to {receipt_path}")


def _near_copy_line(near: dict[str, Any]) -> str:
    said = {
        "own": "the same holders' work: valued once with it",
        "candidate": "another member's work: flagged as a dispute candidate for the steward",
        "disputed": "a dispute was opened on it",
    }[near["state"]]
    return f"  near copy of work {near['copy_of']} ({near['similarity']:.0%} similar): {said}"


@command(work, "list")
@click.option("--member", "member_id", type=int, help="Only this member's works.")
@click.option("--limit", default=50, show_default=True)
@json_option
def work_list(member_id: int | None, limit: int, as_json: bool) -> None:
    """List works."""
    rows = syndic().members.list_works(member_id=member_id, limit=limit)
    if as_json:
        print_json(rows)
    else:
        print_table(
            [r.model_dump() for r in rows], ["id", "digest", "title", "collection"], "Works"
        )


@command(work, "show")
@click.argument("work_id", type=int)
@json_option
def work_show(work_id: int, as_json: bool) -> None:
    """Show one work with its rights holders."""
    w = syndic().members.get_work(work_id)
    if as_json:
        print_json(w)
    else:
        holders = ", ".join(f"member {h.member_id}: {h.share_bp / 100:.2f}%" for h in w.holders)
        click.echo(f"{w.id} {w.digest}\n  {w.title}\n  {w.collection}; holders: {holders}")
        if w.near_copy is not None:
            click.echo(_near_copy_line(w.near_copy))


@command(work, "copies")
@click.option("--member", "member_id", type=int, help="Only copies of or by this member's works.")
@click.option(
    "--candidates", is_flag=True, help="Only dispute candidates no dispute was opened on yet."
)
@click.option("--limit", default=50, show_default=True)
@json_option
def work_copies(member_id: int | None, candidates: bool, limit: int, as_json: bool) -> None:
    """Works registered as near copies of earlier works, newest first; a copy of another
    member's work is a dispute candidate (open one with `syndic work dispute`)."""
    rows = syndic().members.near_copies(
        member_id=member_id, candidates_only=candidates, limit=limit
    )
    if as_json:
        print_json(rows)
        return
    table = [
        {
            **r,
            "holders": " ".join(map(str, r["holders"])),
            "original_holders": " ".join(map(str, r["original_holders"])),
            "similarity": f"{r['similarity']:.1%}",
        }
        for r in rows
    ]
    print_table(
        table,
        ["work", "holders", "copy_of", "original_holders", "similarity", "state"],
        "Near copies",
    )


@command(work, "withdraw")
@click.argument("work_id", type=int)
@click.option("--reason", default="", help="Why (goes into the public log).")
def work_withdraw(work_id: int, reason: str) -> None:
    """Withdraw a work: it leaves future deals (signed agreements keep it until they end)."""
    syndic().members.withdraw_work(work_id, reason=reason)
    click.echo(f"work {work_id}: withdrawn (left out of future deals)")


@command(work, "dispute")
@click.argument("work_id", type=int)
@click.option("--reason", required=True, help="What is contested (who holds it, the shares).")
def work_dispute(work_id: int, reason: str) -> None:
    """Mark a work's rights as disputed: it is held out of new deals until resolved."""
    syndic().members.dispute_work(work_id, reason=reason)
    click.echo(f"work {work_id}: disputed (held out of new deals)")


@command(work, "resolve")
@click.argument("work_id", type=int)
@click.option("--holder", "holders", multiple=True, help="MEMBER_ID=PERCENT as settled.")
def work_resolve(work_id: int, holders: tuple[str, ...]) -> None:
    """End a dispute, optionally with the settled rights holders' shares."""
    w = syndic().members.resolve_dispute(work_id, holders=_holders(holders) if holders else None)
    shares = ", ".join(f"member {h.member_id}: {h.share_bp / 100:.2f}%" for h in w.holders)
    click.echo(f"work {work_id}: dispute resolved; holders {shares}")


@click.group(name="import")
def import_() -> None:
    """Import works from a corpus."""


@command(import_, "arxiv")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--skip-bad", is_flag=True, help="Import the good lines, report the refused ones.")
@click.option(
    "--batch",
    type=click.IntRange(1, 100_000),
    default=BATCH,
    show_default=True,
    help="Works per transaction (each batch commits with its log entries).",
)
@json_option
def import_arxiv_cmd(path: Path, skip_bad: bool, batch: int, as_json: bool) -> None:
    """Import arXiv JSONL: one member per producer (or first author), one work per paper."""
    app = syndic()
    with stage_bars(disable=as_json) as bars:
        result = import_arxiv(
            app.members,
            path,
            skip_bad=skip_bad,
            batch=batch,
            start=lambda n: bars.start("importing", n),
            advance=lambda n: bars.advance("importing", n),
        )
    app.members.changed()
    if as_json:
        print_json(result.as_dict())
    else:
        click.echo(
            f"{result.lines} lines: {result.members_created} new members, "
            f"{result.works_created} new works, {result.works_existing} already registered"
        )
        if (copies := result.copies_line()) is not None:
            click.echo(copies)
        for r in result.refused:
            click.echo(f"  refused {r}")


def _catalogue_formats() -> None:
    """`syndic import manifest|dir|feed|scholarly` (syndic.cli.catalogue) join `import arxiv`."""
    from syndic.cli import catalogue

    for cmd in catalogue.COMMANDS:
        import_.add_command(cmd)


_catalogue_formats()

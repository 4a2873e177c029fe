"""``syndic receipt``: issue a member's registration receipt, and verify one offline."""

from __future__ import annotations

from pathlib import Path

import click

from syndic.cli.common import command, json_option, print_json, syndic
from syndic.provenance.receipt import verify_receipt
from syndic.storage.files import make_dir, read_input, write_output


@click.group("receipt")
def receipt() -> None:
    """Registration receipts: proof that a work entered the log, checkable offline."""


@command(receipt, "issue")
@click.argument("work_id", type=int)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None)
def receipt_issue(work_id: int, output: Path | None) -> None:
    """Write the receipt for work WORK_ID (to --output, or stdout)."""
    app = syndic()
    work = app.members.get_work(work_id)
    data = app.provenance.receipt(work.log_index).to_json()
    if output is None:
        click.echo(data.decode())
    else:
        write_output(output, data + b"\n")
        click.echo(f"receipt for work {work_id} written to {output}")


@command(receipt, "export")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option("--member", "member_id", type=int, default=None, help="Only this member's works.")
def receipt_export(directory: Path, member_id: int | None) -> None:
    """Write one receipt per registered work to DIRECTORY/<work id>.json."""
    app = syndic()
    make_dir(directory)
    works = list(app.members.iter_works(member_id=member_id))
    for w, rec in zip(works, app.provenance.receipts(w.log_index for w in works), strict=True):
        write_output(directory / f"{w.id}.json", rec.to_json())
    click.echo(f"wrote {len(works)} receipts to {directory}")


@command(receipt, "verify")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--key",
    required=True,
    help="The coalition's public key: base64 Ed25519, or a verifier key 'origin+id+key'.",
)
@click.option("--origin", default=None, help="The coalition's log origin, if known.")
@json_option
def receipt_verify(file: Path, key: str, origin: str | None, as_json: bool) -> None:
    """Check receipt FILE offline, with nothing but the coalition's public key."""
    data = read_input(file, what="receipt")
    ok = verify_receipt(data.strip(), public_key=key, origin=origin)
    if as_json:
        print_json(ok.to_dict())
    else:
        click.echo(
            f"receipt OK: {ok.work} is entry {ok.index} of log {ok.origin} "
            f"(signed tree size {ok.tree_size})"
        )

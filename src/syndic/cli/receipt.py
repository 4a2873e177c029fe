"""``syndic receipt``: issue a member's registration receipt, and verify one offline."""

from __future__ import annotations

from pathlib import Path

import click

from syndic.cli.common import command, json_option, print_json, syndic
from syndic.errors import InputFileError
from syndic.provenance.receipt import verify_receipt


@click.group("receipt")
def receipt() -> None:
    """Registration receipts: proof that a work entered the log, checkable offline."""


@command(receipt, "issue")
@click.argument("work_id", type=int)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None)
def receipt_issue(work_id: int, output: Path | None) -> None:
    """Write the receipt for work WORK_ID (to --output, or stdout)."""
    s = syndic()
    work = s.members.get_work(work_id)
    data = s.provenance.receipt(work.log_index).to_json()
    if output is None:
        click.echo(data.decode())
    else:
        output.write_bytes(data + b"\n")
        click.echo(f"receipt for work {work_id} written to {output}")


@command(receipt, "export")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option("--member", "member_id", type=int, default=None, help="Only this member's works.")
def receipt_export(directory: Path, member_id: int | None) -> None:
    """Write one receipt per registered work to DIRECTORY/<work id>.json."""
    s = syndic()
    directory.mkdir(parents=True, exist_ok=True)
    works = list(s.members.iter_works(member_id=member_id))
    for w, rec in zip(works, s.provenance.receipts(w.log_index for w in works), strict=True):
        (directory / f"{w.id}.json").write_bytes(rec.to_json())
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
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise InputFileError(f"cannot read receipt {file}: {exc.strerror}") from exc
    ok = verify_receipt(data.strip(), public_key=key, origin=origin)
    if as_json:
        print_json(ok.to_dict())
    else:
        click.echo(
            f"receipt OK: {ok.work} is entry {ok.index} of log {ok.origin} "
            f"(signed tree size {ok.tree_size})"
        )

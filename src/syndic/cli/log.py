"""``syndic log``: checkpoints, entries, proofs, the audit and the tile export."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from syndic.cli.common import command, json_option, print_json, syndic
from syndic.errors import LogTampered
from syndic.provenance.service import ProvenanceService, b64


def provenance() -> ProvenanceService:
    return syndic().provenance


@click.group("log")
def log() -> None:
    """The public, append-only transparency log (RFC 9162, C2SP checkpoints and tiles)."""


@command(log, "checkpoint")
@json_option
def log_checkpoint(as_json: bool) -> None:
    """Print the latest signed checkpoint (signing one now if the log has grown)."""
    cp = provenance().checkpoint()
    if as_json:
        print_json({"size": cp.size, "root": b64(cp.root), "note": cp.note})
    else:
        click.echo(cp.note, nl=False)


@command(log, "verifier-key")
def log_verifier_key() -> None:
    """Print the C2SP verifier key (origin+keyid+key) that checks this log's checkpoints."""
    click.echo(provenance().verifier_key())


@command(log, "entry")
@click.argument("index", type=int)
def log_entry(index: int) -> None:
    """Print entry INDEX exactly as logged (its canonical JSON bytes)."""
    data = provenance().entry(index)
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


@command(log, "prove-inclusion")
@click.argument("index", type=int)
@click.option("--size", type=int, default=None, help="Tree size to prove against (default: now).")
@json_option
def log_prove_inclusion(index: int, size: int | None, as_json: bool) -> None:
    """Inclusion proof of entry INDEX in the tree of SIZE entries."""
    out = provenance().prove_inclusion(index, size)
    if as_json:
        print_json(out)
        return
    click.echo(f"entry {out['index']} in tree of size {out['tree_size']}")
    click.echo(f"leaf hash {out['leaf_hash']}")
    click.echo(f"root      {out['root']}")
    for i, h in enumerate(out["proof"]):
        click.echo(f"proof[{i}]  {h}")


@command(log, "prove-consistency")
@click.argument("old", type=int)
@click.argument("new", type=int)
@json_option
def log_prove_consistency(old: int, new: int, as_json: bool) -> None:
    """Consistency proof that the tree of NEW entries extends the tree of OLD entries."""
    out = provenance().prove_consistency(old, new)
    if as_json:
        print_json(out)
        return
    click.echo(f"tree {out['old_size']} ({out['old_root']})")
    click.echo(f"  is a prefix of tree {out['new_size']} ({out['new_root']})")
    for i, h in enumerate(out["proof"]):
        click.echo(f"proof[{i}]  {h}")


@command(log, "verify")
@click.option(
    "--state",
    is_flag=True,
    help="Also replay the log against the tables (what `syndic audit` does).",
)
@json_option
def log_verify(state: bool, as_json: bool) -> None:
    """Recompute every hash, checkpoint root and signature, and check every named vault blob."""
    if state:
        from syndic.cli.audit import report as audit_report

        audit_report(*syndic().audit(), as_json=as_json)
        return
    report = provenance().verify()
    if as_json:
        print_json(report.to_dict())
    if not report.ok:
        where = (
            f"first bad index {report.first_bad_index}"
            if report.first_bad_index is not None
            else "no entry named"
        )
        raise LogTampered(f"log verification failed, {where}: {report.problems[0]}")
    if not as_json:
        click.echo(
            f"log OK: {report.entries_checked} entries, {report.nodes_checked} hashes, "
            f"{report.checkpoints_checked} checkpoints, {report.blobs_checked} vault blobs"
        )


@command(log, "export-tiles")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
def log_export_tiles(directory: Path) -> None:
    """Write the log as C2SP tlog-tiles (checkpoint, tile/<L>/<N>, tile/entries/<N>)."""
    cp, count = provenance().export_tiles(directory)
    click.echo(f"wrote {count} files for tree size {cp.size} to {directory}")

"""``syndic detect``, ``trace`` and ``usage``: find members' works in others' datasets, sign
evidence, trace a leaked copy to its licensee, and reconcile usage reports with deliveries."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from syndic.cli.common import command, data_dir_option, json_option, print_json, syndic
from syndic.detection.evidence import verify_bundle
from syndic.detection.matching import Thresholds
from syndic.detection.readers import Fields, Format
from syndic.detection.service import ScanRequest
from syndic.errors import InvalidInput
from syndic.progress import stage_bars
from syndic.storage.files import make_dir, read_input, write_output

FORMATS = [f.value for f in Format]
format_option = click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="jsonl", show_default=True
)
text_field_option = click.option(
    "--text-field", default="text", show_default=True, help="The field holding the text."
)


@click.group("detect")
def detect() -> None:
    """Find members' works in datasets others publish or use; evidence bundles."""


@command(detect, "reindex")
@json_option
def detect_reindex(as_json: bool) -> None:
    """Rebuild the index of members' works from the pool (logged)."""
    index = syndic().detection.reindex()
    out = {"works": len(index), "version": index.version.to_dict(), **index.params.to_dict()}
    if as_json:
        print_json(out)
    else:
        click.echo(f"indexed {len(index)} works at log size {index.version.tree_size}")


@command(detect, "scan")
@click.argument("path", type=click.Path(path_type=Path))
@format_option
@text_field_option
@click.option(
    "--id-field", default=None, help="The field holding a record's id (default: its position)."
)
@click.option(
    "--min-shared",
    type=int,
    default=Thresholds.min_shared,
    show_default=True,
    help="Distinct shingles a record and a work must share.",
)
@click.option(
    "--min-containment",
    type=float,
    default=Thresholds.min_containment,
    show_default=True,
    help="Share of the work (or of the record) they must share.",
)
@json_option
def detect_scan(
    path: Path,
    fmt: str,
    text_field: str,
    id_field: str | None,
    min_shared: int,
    min_containment: float,
    as_json: bool,
) -> None:
    """Scan the dataset at PATH for members' works and canaries; the scan is stored and logged."""
    request = ScanRequest(
        path=path,
        format=Format(fmt),
        fields=Fields(text=text_field, id=id_field),
        thresholds=Thresholds(min_shared=min_shared, min_containment=min_containment),
    )
    with stage_bars(disable=as_json) as bars:
        summary = syndic().detect_scan(request, progress=bars)
    if as_json:
        print_json(summary.to_dict())
        return
    click.echo(
        f"scan {summary.id}: {summary.records} records, {len(summary.matches)} matches, "
        f"{len(summary.canaries)} canaries"
    )
    for m in summary.matches[:20]:
        click.echo(
            f"  record {m['record']} ~ work {m['work']} (members {m['members']}): "
            f"jaccard {m['jaccard']:.2f}, containment {m['containment']:.2f}, "
            f"longest shared run {m['span']['words']} words"
        )


@command(detect, "evidence")
@click.argument("scan_id", type=int)
@click.option("--member", "member_id", type=int, default=None, help="Only this member.")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="The bundle file (with --member), else a directory: one bundle per member.",
)
def detect_evidence(scan_id: int, member_id: int | None, output: Path) -> None:
    """Write signed evidence bundles of a stored scan's matches (logged)."""
    app = syndic()
    if member_id is not None:
        write_output(output, app.evidence_bundle(scan_id, member_id) + b"\n", atomic=True)
        click.echo(f"evidence for member {member_id} written to {output}")
        return
    members = sorted({m for x in app.detection.scan_matches(scan_id) for m in x["members"]})
    make_dir(output)
    for m in members:
        path = output / f"evidence-scan{scan_id}-member{m}.json"
        write_output(path, app.evidence_bundle(scan_id, m) + b"\n", atomic=True)
    click.echo(f"{len(members)} evidence bundles written to {output}")


@command(detect, "verify")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--key", required=True, help="The coalition's public key (base64 Ed25519).")
@json_option
def detect_verify(file: Path, key: str, as_json: bool) -> None:
    """Check an evidence bundle offline, with nothing but the coalition's public key."""
    ok = verify_bundle(read_input(file, what="evidence bundle").strip(), public_key=key)
    if as_json:
        print_json(ok.to_dict())
    else:
        click.echo(
            f"evidence OK: {ok.matches} matches for member {ok.member} in dataset "
            f"{ok.dataset_digest}, signed by {ok.coalition}"
        )


@command(detect, "duplicates")
@click.option(
    "--threshold",
    type=float,
    default=0.8,
    show_default=True,
    help="Estimated Jaccard similarity at or above which two works are near copies.",
)
@json_option
def detect_duplicates(threshold: float, as_json: bool) -> None:
    """Groups of members' works that are near copies of each other."""
    if not 0.0 < threshold <= 1.0:
        raise InvalidInput("--threshold must be in (0, 1]")
    groups = syndic().detection.near_copies(threshold=threshold)
    if as_json:
        print_json(groups)
        return
    click.echo(f"{len(groups)} groups of near copies")
    for g in groups:
        click.echo("  " + ", ".join(f"work {x['work']} (members {x['members']})" for x in g))


@command(detect, "marks")
@click.argument("work_id", type=int)
@click.option("--agreement", "agreement_id", type=int, required=True)
@json_option
def detect_marks(work_id: int, agreement_id: int, as_json: bool) -> None:
    """Show how a work reads in deliveries under an agreement: each changed character."""
    out = syndic().delivered_form(work_id, agreement_id)
    if as_json:
        print_json(out)
        return
    ok = "only the documented forms" if out["only_documented_forms"] else "OTHER CHANGES"
    click.echo(f"work {work_id} under agreement {agreement_id}: {len(out['changes'])} marks, {ok}")
    for c in out["changes"]:
        click.echo(f"  offset {c['offset']}: {c['from']} -> {c['to']}")


@click.command("trace")
@data_dir_option
@click.argument("file", type=click.Path(path_type=Path))
@format_option
@text_field_option
@json_option
def trace(file: Path, fmt: str, text_field: str, as_json: bool) -> None:
    """Name the licensee a leaked copy (a file, or a sample of its records) came from."""
    out = syndic().access.trace(file, Format(fmt), Fields(text=text_field))
    if as_json:
        print_json(out)
    elif out["licensee"] is None:
        click.echo(f"no licensee ({out['places']} marked places in {out['records']} records)")
    else:
        click.echo(
            f"licensee {out['licensee']['name']} (id {out['licensee']['id']}), agreement "
            f"{out['agreement']}: p-value {out['p_value']:.3g} over {out['places']} places"
        )


@click.group("usage")
def usage() -> None:
    """Licensees' usage reports, checked against the delivery meter."""


def _day(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError as exc:
        raise InvalidInput(f"{value!r} is not a date (YYYY-MM-DD)") from exc


@command(usage, "report")
@click.argument("agreement_id", type=int)
@click.option("--from", "start", required=True, help="Period start, YYYY-MM-DD.")
@click.option("--to", "end", required=True, help="Period end (exclusive), YYYY-MM-DD.")
@click.option("--records-used", type=int, required=True)
@click.option("--note", default="")
def usage_report(agreement_id: int, start: str, end: str, records_used: int, note: str) -> None:
    """File a licensee's usage report for an agreement (logged)."""
    rid = syndic().access.report_usage(
        agreement_id,
        period_start=_day(start),
        period_end=_day(end),
        records_used=records_used,
        note=note,
    )
    click.echo(f"usage report {rid} filed for agreement {agreement_id}")


@command(usage, "reconcile")
@click.argument("agreement_id", type=int)
@json_option
def usage_reconcile(agreement_id: int, as_json: bool) -> None:
    """Deliveries no usage report covers, and overdue reports."""
    out = syndic().access.reconcile(agreement_id)
    if as_json:
        print_json(out)
        return
    click.echo(
        f"agreement {agreement_id}: {out['deliveries']} deliveries, {out['reports']} reports; "
        f"{len(out['unreported_deliveries'])} unreported, "
        f"{len(out['overdue_reports'])} overdue"
    )

"""``syndic audit``: the log verified, then replayed against the tables money, rights and
agreements depend on (``log verify --state`` does the same)."""

from __future__ import annotations

import click

from syndic.cli.common import data_dir_option, json_option, print_json, syndic
from syndic.errors import IntegrityError, LogTampered
from syndic.provenance.audit import AuditReport
from syndic.provenance.state import StateReport


def report(log: AuditReport | None, state: StateReport, *, as_json: bool) -> None:
    """Print both reports (JSON, or one line each); raise naming the first problem."""
    if as_json:
        print_json({"log": None if log is None else log.to_dict(), "state": state.to_dict()})
    if log is not None and not log.ok:
        where = (
            f"first bad index {log.first_bad_index}"
            if log.first_bad_index is not None
            else "no entry named"
        )
        raise LogTampered(f"log verification failed, {where}: {log.problems[0]}")
    if not state.ok:
        raise IntegrityError(
            f"the tables differ from the log ({len(state.problems)} check(s) failed); "
            f"{state.problems[0]}"
        )
    if not as_json:
        if log is not None:
            click.echo(
                f"log OK: {log.entries_checked} entries, {log.nodes_checked} hashes, "
                f"{log.checkpoints_checked} checkpoints, {log.blobs_checked} vault blobs"
            )
        events = sum(c.events for c in state.checks)
        click.echo(
            f"state OK: {len(state.checks)} checks ({', '.join(c.name for c in state.checks)}) "
            f"over {events} replayed events"
        )


@click.command("audit")
@data_dir_option
@json_option
def audit(as_json: bool) -> None:
    """Verify the log, then replay it against the tables money and rights rest on.

    Members, works and shares, the ledger, statements, payments, agreements and deals are
    compared with what the log says; the first row that differs is named."""
    log, state = syndic().audit()
    report(log, state, as_json=as_json)

"""``syndic value``: value the pool (works and members), read runs, explain a member's value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from syndic.cli.common import command, json_option, params_options, print_json, print_table, syndic
from syndic.errors import ValuationError
from syndic.progress import stage_bars
from syndic.valuation.explain import CHART_FORMATS
from syndic.valuation.params import RunParams

run_params_options = params_options(RunParams)


@click.group("value")
def value() -> None:
    """Data valuation: what each work and each member is worth to a model, and why."""


@command(value, "run")
@run_params_options
@json_option
def value_run(as_json: bool, **params: Any) -> None:
    """Value every work and member of the pool on a snapshot, and store the run."""
    run_params = RunParams(**params).check()
    s = syndic()
    with stage_bars(indent="   ", disable=as_json) as bars:
        run = s.valuation.run(run_params, progress=bars)
    if as_json:
        print_json(run)
        return
    click.echo(
        f"valuation run {run.id} ({run.method}): {run.summary['works']} works and "
        f"{run.summary['members']} members valued on snapshot {run.snapshot_size}; "
        f"result {run.result_digest[:23]}…"
    )
    left_out = run.summary.get("not_valued")
    if left_out:
        shown = "; ".join(f"work {x['work']}: {x['reason']}" for x in left_out["works"][:5])
        click.echo(f"not valued ({left_out['count']} without text): {shown}")


@command(value, "show")
@click.option("--run", "run_id", type=int, default=None, help="Run id (default: the latest).")
@click.option("--member", "member_id", type=int, default=None, help="One member's value.")
@click.option("--works", is_flag=True, help="List per-work values (with --member: theirs).")
@click.option("--limit", type=int, default=20, show_default=True, help="Rows in the table view.")
@json_option
def value_show(
    run_id: int | None, member_id: int | None, works: bool, limit: int, as_json: bool
) -> None:
    """Show a run: members by value, one member's value and why, or per-work values."""
    s = syndic()
    run = s.valuation.show(run_id)
    if works:
        rows = s.valuation.work_values(run.id, member_id=member_id)
        if as_json:
            print_json({"run": run, "works": rows})
        else:
            print_table(
                [r.model_dump() for r in rows[:limit]],
                ["work_id", "role", "value", "stderr"],
                f"Run {run.id}: work values",
            )
        return
    if member_id is not None:
        mv = s.valuation.member_value(member_id, run.id)
        if as_json:
            print_json({"run": run, "member": mv})
        else:
            click.echo(mv.explanation.get("sentence", ""))
        return
    members = s.valuation.member_values(run.id)
    if as_json:
        print_json({"run": run, "members": members})
        return
    print_table(
        [
            {
                "rank": f"{m.rank} ({m.rank_low}-{m.rank_high})",
                "member": m.member_id,
                "works": m.works_valued,
                "value": f"{m.value_sum:+.5f}",
                "group shapley": (
                    "-" if m.value_group is None else f"{m.value_group:+.5f} ± {m.stderr_group:.5f}"
                ),
            }
            for m in members[:limit]
        ],
        ["rank", "member", "works", "value", "group shapley"],
        f"Run {run.id} ({run.method}, label {run.label!r}, seed {run.seed})",
    )


@command(value, "runs")
@json_option
def value_runs(as_json: bool) -> None:
    """List valuation runs."""
    runs = syndic().valuation.list_runs()
    if as_json:
        print_json(runs)
        return
    print_table(
        [r.model_dump() for r in runs],
        ["id", "method", "label", "seed", "snapshot_size", "result_digest", "created_at"],
        "Valuation runs",
    )


@command(value, "chart")
@click.option("--member", "member_id", type=int, required=True)
@click.option("--run", "run_id", type=int, default=None, help="Run id (default: the latest).")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Where to write the chart: .svg or .png.",
)
def value_chart(member_id: int, run_id: int | None, output: Path) -> None:
    """Write a member's contribution-per-label chart."""
    fmt = output.suffix.lower().lstrip(".")
    if fmt not in CHART_FORMATS:
        raise ValuationError(
            "the chart file must end in " + " or ".join(f".{f}" for f in CHART_FORMATS)
        )
    output.write_bytes(syndic().valuation.chart(member_id, run_id, fmt=fmt))
    click.echo(f"chart for member {member_id} written to {output}")


@command(value, "verify")
@click.argument("run_id", type=int)
@json_option
def value_verify(run_id: int, as_json: bool) -> None:
    """Re-hash run RUN_ID's stored values against its log entry, then recompute it from what
    is stored and compare the result digest."""
    s = syndic()
    with stage_bars(indent="   ", disable=as_json) as bars:
        out = s.valuation.reproduce(run_id, progress=bars)
    if as_json:
        print_json(out)
    elif out["problems"]:
        raise ValuationError("; ".join(out["problems"]))
    elif out["same"]:
        click.echo(f"run {run_id} reproduced: {out['recomputed_digest']}")
    else:
        raise ValuationError(
            f"run {run_id} did not reproduce: stored {out['stored_digest']}, "
            f"recomputed {out['recomputed_digest']} (corpus: stored "
            f"{out['stored_corpus_digest']}, rebuilt {out['recomputed_corpus_digest']}; "
            f"library versions: stored {out['stored_versions']}, now {out['current_versions']})"
        )

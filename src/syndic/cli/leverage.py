"""``syndic leverage``: what the pool as a whole is worth to a builder who has other data (the
data strike, the equivalent outside data, a price range), stored, verified and exported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from syndic.bargaining.params import LeverageParams
from syndic.cli.common import command, json_option, params_options, print_json, print_table, syndic
from syndic.errors import LeverageError
from syndic.money import Money
from syndic.plotting import FORMATS
from syndic.progress import stage_bars
from syndic.storage.files import read_input, write_output

leverage_params_options = params_options(LeverageParams)


@click.group("leverage")
def leverage() -> None:
    """Leverage: learning curves with and without the pool, the data strike, a price range."""


def _money(minor: int | None, currency: str) -> str:
    return "-" if minor is None else str(Money(minor, currency))


@command(leverage, "run")
@click.option(
    "--outside",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="The builder's outside data (JSONL: id, title, text or abstract, the label).",
)
@leverage_params_options
@json_option
def leverage_run(outside: Path, as_json: bool, **params: Any) -> None:
    """Measure what the pool is worth to a builder with OUTSIDE data, and store the run."""
    p = LeverageParams(**params).check()
    data = read_input(outside, what="outside data")
    s = syndic()
    with stage_bars(indent="   ", disable=as_json) as bars:
        run = s.leverage.run(p, outside=data, name=outside.name, progress=bars)
    if as_json:
        print_json(run)
        return
    _summary(run.id, run.result, s.settings.currency)


def _summary(run_id: int, result: dict[str, Any], currency: str) -> None:
    c = result["counts"]
    click.echo(
        f"leverage run {run_id}: {c['pool']:,} pool works, {c['outside']:,} outside works "
        f"({result['outside_dropped_as_pool']:,} dropped as pool works), {c['eval']:,} to evaluate"
    )
    for fam, st in result["strike"].items():
        if st["accuracy_points"] is None:
            click.echo(f"  {fam}: data strike {st['words']}")
            continue
        lo, hi = st["accuracy_points_interval"]
        click.echo(
            f"  {fam}: data strike costs the builder {st['accuracy_points']:.2f} accuracy points "
            f"[{lo:.2f}, {hi:.2f}] at {st['builder_size']:,} works; equivalent outside data: "
            f"{result['equivalent'][fam]['words']}"
        )
    pr = result["price_range"]
    click.echo(
        f"  price range ({pr['family']}): reservation "
        f"{_money(pr['reservation']['minor'], currency)}, suggested ask "
        f"{_money(pr['ask']['minor'], currency)}, builder's most "
        f"{_money(pr['willingness']['max_minor'], currency)}"
    )


@command(leverage, "show")
@click.argument("run_id", type=int, required=False)
@json_option
def leverage_show(run_id: int | None, as_json: bool) -> None:
    """Show a leverage run (default: the latest)."""
    s = syndic()
    run = s.leverage.show(run_id)
    if as_json:
        print_json(run)
        return
    _summary(run.id, run.result, s.settings.currency)


@command(leverage, "runs")
@json_option
def leverage_runs(as_json: bool) -> None:
    """List leverage runs."""
    runs = syndic().leverage.list_runs()
    if as_json:
        print_json([r.model_dump(exclude={"points", "result"}) for r in runs])
        return
    print_table(
        [r.model_dump() for r in runs],
        ["id", "label", "seed", "snapshot_size", "result_digest", "created_at"],
        "Leverage runs",
    )


@command(leverage, "verify")
@click.argument("run_id", type=int)
@json_option
def leverage_verify(run_id: int, as_json: bool) -> None:
    """Recompute run RUN_ID from what it stored and compare the digests."""
    s = syndic()
    with stage_bars(indent="   ", disable=as_json) as bars:
        out = s.leverage.verify(run_id, progress=bars)
    if as_json:
        print_json(out)
    elif out["same"]:
        click.echo(f"leverage run {run_id} reproduced: {out['recomputed_digest']}")
    else:
        raise LeverageError(
            f"leverage run {run_id} did not reproduce: stored {out['stored_digest']}, recomputed "
            f"{out['recomputed_digest']} (features same: {out['same_features']}, index sets "
            f"same: {out['same_index_sets']}; library versions: stored "
            f"{out['stored_versions']}, now {out['current_versions']})"
        )


@command(leverage, "export")
@click.argument("run_id", type=int)
@click.option(
    "--out", type=click.Path(path_type=Path, file_okay=False), required=True, help="Folder."
)
def leverage_export(run_id: int, out: Path) -> None:
    """Write the run's feature matrix, labels and index sets (.npz) with a README."""
    paths = syndic().leverage.export(run_id, out)
    click.echo(f"leverage run {run_id} exported: {', '.join(p.name for p in paths)} in {out}")


@command(leverage, "chart")
@click.option("--run", "run_id", type=int, default=None, help="Run id (default: the latest).")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Where to write the chart: .svg or .png.",
)
def leverage_chart(run_id: int | None, output: Path) -> None:
    """Write the learning curves, the strike gap and the price range as a chart."""
    fmt = output.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise LeverageError("the chart file must end in " + " or ".join(f".{f}" for f in FORMATS))
    write_output(output, syndic().leverage.chart(run_id, fmt=fmt))
    click.echo(f"leverage chart written to {output}")

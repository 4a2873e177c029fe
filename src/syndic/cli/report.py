"""``syndic report``: counts and money. Its own module, so that running it imports neither
``Syndic`` nor SQLAlchemy when the quick read (``syndic.summary``) can answer."""

from __future__ import annotations

from pathlib import Path

import click

from syndic.cli.common import Ctx, data_dir_option, json_option, print_fields, print_json, syndic


@click.command()
@data_dir_option
@json_option
@click.option(
    "--html",
    "html_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Also write the report page (one self-contained HTML file) to FILE.",
)
def report(as_json: bool, html_path: Path | None) -> None:
    """Counts and money, read from the database."""
    r = None
    if html_path is None:  # the page needs Syndic anyway
        from syndic.summary import quick_report

        r = quick_report(click.get_current_context().ensure_object(Ctx).settings())
    if r is None:  # PostgreSQL, an older schema, no coalition yet...: Syndic says what to do
        r = syndic().report()
    if html_path is not None:
        from syndic.web.report import write_report

        click.echo(f"report page written to {write_report(syndic(), html_path)}", err=as_json)
    if as_json:
        print_json(r)
    else:
        print_fields(r, currency=r["currency"])

"""``syndic import manifest|dir|feed|scholarly``: catalogues beyond arXiv (docs/import.md)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from syndic.catalogue.rows import Defaults, holder_refs, parse_mapping
from syndic.catalogue.service import Fetching
from syndic.cli.common import data_dir_option, json_option, print_json, syndic
from syndic.members.bulk import ImportOptions, ImportResult
from syndic.progress import stage_bars
from syndic.storage.files import read_input


def _who(f: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(
        [
            click.option(
                "--holder",
                "holders",
                multiple=True,
                help="MEMBER=PERCENT (member id or handle) for rows that name no holders.",
            ),
            click.option(
                "--producer",
                default=None,
                help="A handle credited with rows that name no holders (joined if new).",
            ),
            click.option("--collection", default="default", show_default=True),
            click.option("--kind", default="text", show_default=True),
            click.option(
                "--map",
                "mapping",
                multiple=True,
                help="OURS=THEIRS: read our field from their column, e.g. title=headline, "
                "producer=byline, meta.section=desk.",
            ),
            click.option(
                "--mapping-file",
                type=click.Path(path_type=Path, dir_okay=False),
                help="A JSON object of OURS: THEIRS pairs (the same as --map).",
            ),
            click.option(
                "--skip-bad",
                is_flag=True,
                help="Import the good rows and report the refused ones (default: refuse the "
                "whole input if any row is bad).",
            ),
            json_option,
        ]
    ):
        f = option(f)
    return f


def _defaults(
    holders: tuple[str, ...],
    producer: str | None,
    collection: str,
    kind: str,
    mapping: tuple[str, ...],
    mapping_file: Path | None,
) -> Defaults:
    import json

    pairs = parse_mapping(list(mapping))
    if mapping_file is not None:
        try:
            loaded = json.loads(read_input(mapping_file))
        except ValueError as exc:
            raise click.BadParameter(f"{mapping_file.name} is not JSON: {exc}") from exc
        if not isinstance(loaded, dict) or not all(isinstance(v, str) for v in loaded.values()):
            raise click.BadParameter("a mapping file is a JSON object of OURS: THEIRS strings")
        pairs = {**loaded, **pairs}
    return Defaults(
        holders=holder_refs(";".join(holders)) if holders else None,
        producer=producer,
        kind=kind,
        collection=collection,
        mapping=pairs,
    )


def _run(as_json: bool, skip_bad: bool, go: Callable[[ImportOptions], ImportResult]) -> None:
    with stage_bars(disable=as_json) as bars:
        result = go(
            ImportOptions(
                skip_bad=skip_bad,
                start=lambda n: bars.start("importing", n),
                advance=lambda n: bars.advance("importing", n),
            )
        )
    if as_json:
        print_json(result.as_dict())
        return
    click.echo(
        f"{result.lines} rows: {result.members_created} new members, "
        f"{result.works_created} new works, {result.works_existing} already registered, "
        f"{len(result.refused)} refused"
    )
    if (copies := result.copies_line()) is not None:
        click.echo(copies)
    for r in result.refused:
        click.echo(f"  refused {r}")
    for r in result.without_text:
        click.echo(f"  stored without text (not valued) {r}")


@click.command("manifest")
@data_dir_option
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default=None)
@_who
def import_manifest(path: Path, fmt: str | None, skip_bad: bool, as_json: bool, **who: Any) -> None:
    """A JSONL or CSV manifest: one work per row (a file path or inline text, a title,
    holders or a producer, metadata)."""
    d = _defaults(**who)
    app = syndic()
    _run(as_json, skip_bad, lambda o: app.catalogue.manifest(path, fmt=fmt, defaults=d, options=o))


@click.command("dir")
@data_dir_option
@click.argument("root", type=click.Path(path_type=Path))
@_who
def import_dir(root: Path, skip_bad: bool, as_json: bool, **who: Any) -> None:
    """Every file in a directory (HTML, PDF, DOCX, Markdown, text, images...), with an
    optional manifest.jsonl or manifest.csv beside them."""
    d = _defaults(**who)
    app = syndic()
    _run(as_json, skip_bad, lambda o: app.catalogue.directory(root, defaults=d, options=o))


@click.command("feed")
@data_dir_option
@click.argument("source")
@click.option(
    "--fetch",
    is_flag=True,
    help="Fetch the pages entries link to (a sitemap's pages), from the member's own sites only.",
)
@click.option(
    "--site",
    "sites",
    multiple=True,
    help="A host that is the member's own (repeatable); default: the feed URL's host.",
)
@_who
def import_feed(
    source: str,
    fetch: bool,
    sites: tuple[str, ...],
    skip_bad: bool,
    as_json: bool,
    **who: Any,
) -> None:
    """An RSS or Atom feed, or a sitemap: a saved file or a URL on the member's own site."""
    d = _defaults(**who)
    owned = {s.strip().lower() for s in sites if s.strip()}
    if "://" in source and not owned:
        from urllib.parse import urlsplit

        owned = {(urlsplit(source).hostname or "").lower()}
    fetching = Fetching(fetch, frozenset(owned))
    app = syndic()
    _run(
        as_json,
        skip_bad,
        lambda o: app.catalogue.feed(source, defaults=d, options=o, fetching=fetching),
    )


@click.command("scholarly")
@data_dir_option
@click.argument("path", type=click.Path(path_type=Path))
@_who
def import_scholarly(path: Path, skip_bad: bool, as_json: bool, **who: Any) -> None:
    """Crossref works or ORCID works JSON (saved files, read offline)."""
    d = _defaults(**who)
    app = syndic()
    _run(as_json, skip_bad, lambda o: app.catalogue.scholarly(path, defaults=d, options=o))


COMMANDS = (import_manifest, import_dir, import_feed, import_scholarly)

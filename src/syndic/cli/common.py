"""What every command shares: the data-dir option, building ``Syndic``, printing results."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

if TYPE_CHECKING:  # the application (and everything under it) is imported when first needed
    from syndic.app import Syndic
    from syndic.config import Settings

F = TypeVar("F", bound=Callable[..., Any])


class Ctx:
    """Carried on ``click.Context.obj``: the options given so far; builds Syndic on demand."""

    def __init__(self) -> None:
        self.data_dir: Path | None = None
        self._syndic: Syndic | None = None

    def settings(self) -> Settings:
        from syndic.config import default_settings

        return default_settings(data_dir=self.data_dir)

    def syndic(self) -> Syndic:
        if self._syndic is None:
            from syndic.app import Syndic

            self._syndic = Syndic.from_settings(self.settings())
        return self._syndic

    def close(self) -> None:
        if self._syndic is not None:
            self._syndic.close()


def _set_data_dir(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        ctx.ensure_object(Ctx).data_dir = value


data_dir_option = click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    callback=_set_data_dir,
    expose_value=False,
    is_eager=True,
    help="Data directory (default ./syndic-data, or $SYNDIC_DATA_DIR).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


def command(group: click.Group, name: str, **kw: Any) -> Callable[[F], F]:
    """A subcommand that accepts --data-dir like the top level does."""

    def deco(fn: F) -> F:
        return cast(F, group.command(name, **kw)(data_dir_option(fn)))

    return deco


def params_options(params: type[Any]) -> Callable[[F], F]:
    """One option per field of the ``params`` dataclass (``RunParams``, ``LeverageParams``):
    default, help text and choices (from the registry that owns the names) are written once,
    on the field; a boolean field is a flag."""
    from dataclasses import fields

    def deco(fn: F) -> F:
        for f in reversed(fields(params)):
            choices = f.metadata["choices"]
            name = f"--{f.name.replace('_', '-')}"
            if isinstance(f.default, bool):
                fn = click.option(name, f.name, is_flag=True, help=f.metadata["help"])(fn)
                continue
            fn = click.option(
                name,
                f.name,
                type=click.Choice(list(choices())) if choices else type(f.default),
                default=f.default,
                show_default=True,
                help=f.metadata["help"],
            )(fn)
        return fn

    return deco


def syndic() -> Syndic:
    return click.get_current_context().ensure_object(Ctx).syndic()


def _plain(value: Any) -> Any:
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def print_json(value: Any) -> None:
    click.echo(json.dumps(_plain(value), indent=2, ensure_ascii=False))


def print_table(
    rows: list[dict[str, Any]],
    columns: list[str],
    title: str | None = None,
    *,
    currency: str | None = None,
) -> None:
    """A table for people: a ``*_minor`` column is shown as money (``250,000.00 EUR``) under
    its plain name, in the row's ``currency`` or the one given."""
    from rich.table import Table

    from syndic.progress import console

    table = Table(title=title)
    for c in columns:
        table.add_column(
            c.removesuffix("_minor"), justify="right" if c.endswith("_minor") else "left"
        )
    for r in rows:
        table.add_row(*(_cell(r, c, currency) for c in columns))
    console.print(table)


def _cell(row: dict[str, Any], column: str, currency: str | None) -> str:
    value = row.get(column, "")
    cur = row.get("currency") or currency
    if column.endswith("_minor") and isinstance(value, int) and isinstance(cur, str):
        from syndic.money import show

        return show(value, cur)
    return str(_plain(value))


def print_fields(fields: dict[str, Any], *, currency: str | None = None) -> None:
    """``name: value`` lines for people, money shown as money (JSON keeps minor units)."""
    width = max((len(k.removesuffix("_minor")) for k in fields), default=0)
    for k in fields:
        click.echo(
            f"{k.removesuffix('_minor').replace('_', ' '):>{width}}: {_cell(fields, k, currency)}"
        )


def print_tree(mapping: dict[str, Any], *, indent: int = 2) -> None:
    """Nested settings as indented ``name: value`` lines (never Python's dict repr)."""
    pad = " " * indent
    for k, v in mapping.items():
        name = k.removesuffix("_bp").replace("_", " ")
        if k.endswith("_bp") and isinstance(v, int):  # basis points, shown as a percentage
            click.echo(f"{pad}{name}: {v / 100:g}%")
        elif isinstance(v, dict) and v:
            click.echo(f"{pad}{name}:")
            print_tree(v, indent=indent + 2)
        elif isinstance(v, list | tuple):
            click.echo(f"{pad}{name}: {', '.join(str(_plain(x)) for x in v) or '(none)'}")
        elif isinstance(v, bool):
            click.echo(f"{pad}{name}: {'yes' if v else 'no'}")
        else:
            click.echo(f"{pad}{name}: {'(none)' if v is None or v == {} else _plain(v)}")


def print_told(question: dict[str, Any], *, payouts: int = 20) -> None:
    """What the members were told about a deal's offer when its vote opened (the assessment
    stored with the vote's question), and the first ``payouts`` members' projected payouts."""
    told = question.get("assessment")
    if not told:
        return
    from syndic.money import show

    click.echo("  the offer, as the members were told when the vote opened:")
    for line in told["words"]:
        click.echo(f"    {line}")
    for m, amount in list(told["payouts_minor"].items())[:payouts]:
        click.echo(f"      member {m}: {show(int(amount), told['currency'])}")
    more = len(told["payouts_minor"]) - payouts
    if more > 0:
        click.echo(f"      ... and {more} more (--json shows every one)")

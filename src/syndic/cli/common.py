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
        from syndic.app import default_settings

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


def print_table(rows: list[dict[str, Any]], columns: list[str], title: str | None = None) -> None:
    from rich.table import Table

    from syndic.progress import console

    table = Table(title=title)
    for c in columns:
        table.add_column(c)
    for r in rows:
        table.add_row(*(str(_plain(r.get(c, ""))) for c in columns))
    console.print(table)

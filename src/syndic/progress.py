"""Progress bars for long work (the CLI and the demo): one look everywhere, drawn only on a
terminal.

``with stage_bars() as bars:`` gives one bar per named stage; pass ``bars`` where a service
takes a ``progress(stage, done, total)`` callback, or call ``start``/``advance`` from an
importer's hooks. Off a terminal (CI logs, pipes, ``--json``) nothing is drawn.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

console = Console(highlight=False)
"""The terminal every edge writes to (the CLI's tables and the bars share it)."""


class StageBars:
    def __init__(self, bar: Progress) -> None:
        self._bar = bar
        self._tasks: dict[str, TaskID] = {}

    def _task(self, stage: str, total: int | None) -> TaskID:
        if stage not in self._tasks:
            self._tasks[stage] = self._bar.add_task(stage, total=total)
        return self._tasks[stage]

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        self._bar.update(self._task(stage, total), completed=done, total=total)

    def start(self, stage: str, total: int | None) -> None:
        self._bar.update(self._task(stage, total), total=total)

    def advance(self, stage: str, n: int) -> None:
        self._bar.advance(self._task(stage, None), n)


@contextmanager
def stage_bars(*, indent: str = "", disable: bool = False) -> Iterator[StageBars]:
    with Progress(
        TextColumn(indent + "{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=disable or not console.is_terminal,
    ) as bar:
        yield StageBars(bar)

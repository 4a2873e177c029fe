"""Where Monte-Carlo work units run: in this process, in a process pool, or on a Ray cluster.

An executor maps a module-level function over a list of argument tuples and yields results
in order, so a seeded run gives the same numbers on every executor. The process pool is
joblib's (loky: reused workers, large arrays shared by memory mapping). Ray is optional and
imported only in ``ray_executor.py``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from syndic.errors import ValuationError


class Executor(Protocol):
    workers: int

    def map(self, fn: Callable[..., Any], args: Sequence[tuple[Any, ...]]) -> Iterator[Any]:
        """Yield ``fn(*a)`` for each ``a`` in ``args``, in order."""
        ...


class SerialExecutor:
    workers = 1

    def map(self, fn: Callable[..., Any], args: Sequence[tuple[Any, ...]]) -> Iterator[Any]:
        for a in args:
            yield fn(*a)


class ProcessExecutor:
    """A pool of worker processes (joblib/loky); ``workers=None`` uses every core."""

    def __init__(self, workers: int | None = None) -> None:
        if workers is not None and workers < 1:
            raise ValuationError(f"workers must be at least 1, got {workers}")
        self.workers = workers or max(1, os.cpu_count() or 1)

    def map(self, fn: Callable[..., Any], args: Sequence[tuple[Any, ...]]) -> Iterator[Any]:
        if self.workers == 1 or len(args) == 1:
            yield from SerialExecutor().map(fn, args)
            return
        from joblib import Parallel, delayed  # loaded with the first parallel map

        parallel = Parallel(n_jobs=self.workers, backend="loky", return_as="generator")
        results = parallel(delayed(fn)(*a) for a in args)
        try:
            # not ``yield from``: that would close ``results`` before the filter below
            for r in results:  # noqa: UP028
                yield r
        finally:
            # a caller that stops early (a stopping rule met mid-round) cancels the units still
            # running: expected, so joblib's warning about it is not passed on
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*cancelled", category=UserWarning)
                results.close()


def _ray(workers: int | None) -> Executor:
    from syndic.valuation.ray_executor import RayExecutor

    return RayExecutor(workers)


# name -> how to build it with a number of workers (None: one per core)
EXECUTORS: dict[str, Callable[[int | None], Executor]] = {
    "serial": lambda _workers: SerialExecutor(),
    "process": ProcessExecutor,
    "ray": _ray,
}


def make_executor(name: str, workers: int | None = None) -> Executor:
    build = EXECUTORS.get(name)
    if build is None:
        raise ValuationError(f"unknown executor {name!r}; use one of: {', '.join(EXECUTORS)}")
    return build(workers)

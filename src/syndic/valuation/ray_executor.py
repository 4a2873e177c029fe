"""The Ray executor: the same work units fanned out over a Ray cluster. The only module that
imports ``ray`` (the optional ``ray`` extra); everything else runs without it."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from syndic.errors import ValuationError


class RayExecutor:
    """Runs units as Ray tasks; connects to ``RAY_ADDRESS`` if set, else starts a local Ray."""

    def __init__(self, workers: int | None = None) -> None:
        try:
            import ray
        except ImportError as exc:
            raise ValuationError(
                "the ray executor needs the optional extra: pip install 'syndic[ray]'"
            ) from exc
        self._ray = ray
        if not ray.is_initialized():
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
        self.workers = int(ray.available_resources().get("CPU", 1))

    def map(self, fn: Callable[..., Any], args: Sequence[tuple[Any, ...]]) -> Iterator[Any]:
        remote = self._ray.remote(fn)
        refs = [remote.remote(*a) for a in args]
        for ref in refs:  # in submission order, so results do not depend on timing
            yield self._ray.get(ref)

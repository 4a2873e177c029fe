"""The Ray executor: the same work units fanned out over a Ray cluster. The only module that
imports ``ray`` (the optional ``ray`` extra); everything else runs without it."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from syndic.errors import ValuationError


class RayExecutor:
    """Runs units as Ray tasks; connects to ``RAY_ADDRESS`` if set, else starts a local Ray.

    A function is registered with Ray once, and an argument shared by several units (the
    game, the estimator's state) is put in the object store once and passed by reference, not
    serialised again for every unit and every round."""

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
        self._remote: dict[Callable[..., Any], Any] = {}
        # id -> (object, reference); the object is kept so its id cannot be reused meanwhile
        self._stored: dict[int, tuple[Any, Any]] = {}

    def _ref(self, obj: Any, kept: dict[int, tuple[Any, Any]]) -> Any:
        hit = kept.get(id(obj)) or self._stored.get(id(obj))
        if hit is None or hit[0] is not obj:
            hit = (obj, self._ray.put(obj))
        kept[id(obj)] = hit
        return hit[1]

    def map(self, fn: Callable[..., Any], args: Sequence[tuple[Any, ...]]) -> Iterator[Any]:
        remote = self._remote.get(fn)
        if remote is None:
            remote = self._remote[fn] = self._ray.remote(fn)
        seen: dict[int, int] = {}
        for a in args:
            for x in a:
                seen[id(x)] = seen.get(id(x), 0) + 1
        kept: dict[int, tuple[Any, Any]] = {}
        refs = [
            remote.remote(*(self._ref(x, kept) if seen[id(x)] > 1 else x for x in a)) for a in args
        ]
        self._stored = kept  # only what this round shared stays in the object store
        for ref in refs:  # in submission order, so results do not depend on timing
            yield self._ray.get(ref)

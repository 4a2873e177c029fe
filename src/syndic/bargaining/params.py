"""``LeverageParams``: what a leverage run is asked to do, each default and help text written
once (the CLI builds ``syndic leverage run``'s options from these fields)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from syndic.bargaining.curves import FAMILIES
from syndic.errors import LeverageError
from syndic.valuation.executors import EXECUTORS
from syndic.valuation.features import FEATURIZERS

# an evaluation set needs at least this many works of every class, or its accuracy per class
# (and so the curves) is noise
MIN_EVAL_PER_CLASS = 5
MIN_SEEDS = 2
MIN_SIZES = 4


def _param(default: Any, help: str, choices: Callable[[], Iterable[str]] | None = None) -> Any:
    return field(default=default, metadata={"help": help, "choices": choices})


@dataclass(frozen=True)
class LeverageParams:
    label: str = _param(
        "field", "Work metadata field the task predicts (also in the outside data)."
    )
    families: str = _param("linear,knn", "Model families, comma-separated (linear, knn).")
    features: str = _param("tfidf-svd", "How works become vectors.", lambda: FEATURIZERS)
    dims: int = _param(64, "TF-IDF SVD dimensions.")
    k: int = _param(10, "Neighbours (the knn family).")
    eval_fraction: float = _param(0.15, "Share of pool and outside works held out to evaluate.")
    sizes: str = _param("", "Training sizes, comma-separated (default: geometric per arm).")
    n_sizes: int = _param(6, "Geometric sizes per arm, when --sizes is not given.")
    min_size: int = _param(100, "Smallest geometric size.")
    seeds: int = _param(5, "Seeds (random training subsets) per size.")
    seed: int = _param(0, "Seed for the split, the subsets and the bootstrap.")
    groups: int = _param(3, "Largest members and largest fields left out one at a time.")
    builder_size: int = _param(0, "The builder's outside data size (0: all of the outside data).")
    extrapolate: bool = _param(False, "Allow reading a curve beyond 4x its largest measured size.")
    price_per_work_minor: int = _param(100, "What an outside work costs the builder (minor units).")
    value_per_point_minor: int = _param(
        100_000, "What one accuracy point is worth to the builder (minor units)."
    )
    nash_weight: float = _param(0.5, "The coalition's bargaining weight in the suggested ask.")
    executor: str = _param("process", "Where the fits run.", lambda: EXECUTORS)
    workers: int = _param(0, "Workers for the executor (0: one per core).")

    def family_list(self) -> list[str]:
        return [f.strip() for f in self.families.split(",") if f.strip()]

    def size_list(self) -> list[int]:
        try:
            return sorted({int(s) for s in self.sizes.split(",") if s.strip()})
        except ValueError as exc:
            raise LeverageError(f"sizes must be whole numbers, got {self.sizes!r}") from exc

    def check(self) -> LeverageParams:
        self._check_types()
        for f in fields(self):
            choices = f.metadata["choices"]
            if choices is not None and getattr(self, f.name) not in (names := tuple(choices())):
                raise LeverageError(
                    f"unknown {f.name} {getattr(self, f.name)!r}; use one of: {', '.join(names)}"
                )
        fam = self.family_list()
        if not fam or any(f not in FAMILIES for f in fam):
            raise LeverageError(
                f"families must be a comma-separated list of {', '.join(FAMILIES)}, "
                f"got {self.families!r}"
            )
        if not self.label.strip():
            raise LeverageError("the label must name a metadata field of the works")
        if not 0 < self.eval_fraction < 0.5:
            raise LeverageError(f"eval fraction must be in (0, 0.5), got {self.eval_fraction}")
        self._check_counts()
        for name in ("price_per_work_minor", "value_per_point_minor"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise LeverageError(f"{name.replace('_', ' ')} must be positive, got {value}")
        if not (math.isfinite(self.nash_weight) and 0 <= self.nash_weight <= 1):
            raise LeverageError(f"nash weight must be between 0 and 1, got {self.nash_weight}")
        return self

    def _check_types(self) -> None:
        """Each field of its default's type (an int does for a float; a bool for nothing else),
        so what arrives as JSON is refused in words, not by a comparison failing later."""
        for f in fields(self):
            value, want = getattr(self, f.name), type(f.default)
            if isinstance(value, bool) != (want is bool) or not (
                isinstance(value, want) or (want is float and isinstance(value, int))
            ):
                raise LeverageError(f"{f.name} must be a {want.__name__}, got {value!r}")

    def _check_counts(self) -> None:
        if self.seeds < MIN_SEEDS:
            raise LeverageError(f"seeds must be at least {MIN_SEEDS}, got {self.seeds}")
        sizes = self.size_list()
        if sizes and (len(sizes) < MIN_SIZES - 1 or sizes[0] < 1):
            raise LeverageError(
                f"give at least {MIN_SIZES - 1} positive sizes (each arm adds its full size)"
            )
        if not sizes and (self.n_sizes < MIN_SIZES or self.min_size < 2):
            raise LeverageError(f"n sizes must be at least {MIN_SIZES} and min size at least 2")
        if self.seed < 0 or self.dims < 1 or self.k < 1 or self.groups < 0:
            raise LeverageError("seed, groups must be >= 0; dims and k must be >= 1")
        if self.builder_size < 0 or self.workers < 0:
            raise LeverageError("builder size and workers cannot be negative")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

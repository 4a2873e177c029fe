"""``RunParams``: what a valuation run is asked to do, with each default and help text written
once. The CLI builds ``syndic value run``'s options from these fields, and the choices of a
field from the registry that owns the names."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from syndic.detection import NEAR_COPY_THRESHOLD
from syndic.errors import ValuationError
from syndic.valuation import checks
from syndic.valuation.executors import EXECUTORS
from syndic.valuation.features import FEATURIZERS
from syndic.valuation.knn import DTYPES
from syndic.valuation.learners import LEARNERS
from syndic.valuation.methods import METHODS
from syndic.valuation.stopping import MaxUpdates, StderrBelow, StoppingRule


def _param(default: Any, help: str, choices: Callable[[], Iterable[str]] | None = None) -> Any:
    return field(default=default, metadata={"help": help, "choices": choices})


ESTIMATORS = 2  # the sampled estimators' version new runs use (``RunParams.estimators``)
# what a run stored before a parameter existed was made with, so that it recomputes the same
STORED_BEFORE: dict[str, Any] = {"estimators": 1}


@dataclass(frozen=True)
class RunParams:
    method: str = _param("knn-shapley", "Valuation method.", lambda: METHODS)
    label: str = _param("field", "Work metadata field the task predicts.")
    folds: int = _param(
        5, "Cross-fitting: folds per repeat; each work is valued in the K - 1 where it trains."
    )
    repeats: int = _param(
        3, "Cross-fitting: repeats, each with its own folds and features' seed, averaged."
    )
    seed: int = _param(0, "Seed for the split and every sampled quantity.")
    k: int = _param(5, "Neighbours (KNN).")
    features: str = _param("tfidf-svd", "How works become vectors.", lambda: FEATURIZERS)
    dims: int = _param(64, "TF-IDF SVD dimensions.")
    precision: str = _param("float64", "Float precision of exact KNN-Shapley.", lambda: DTYPES)
    model: str = _param("knn", "Model that sampled methods value data for.", lambda: LEARNERS)
    max_updates: int = _param(200, "Sampled methods: permutations or coalitions.")
    target_stderr: float = _param(
        0.0,
        "Sampled values (works, and members as players): stop once every standard error is at "
        "or below this, in the method's units; a run that stops at its budget first has not "
        "converged and is not paid (0: no target).",
    )
    group_permutations: int = _param(
        10,
        "Members-as-players group Shapley: permutations per split, taken in rounds of two "
        "(a permutation and its half-turn) with a chain pair valuing the first 16 positions; "
        "at least two rounds (0 skips it).",
    )
    estimators: int = _param(
        ESTIMATORS,
        "Version of the sampled estimators: 2 values the first positions of Beta Shapley and "
        "of members-as-players group Shapley by strata (calibrated intervals); 1 is plain "
        "permutation sampling, as runs stored before version 2 were made (they recompute "
        "with it).",
    )
    near_copy_threshold: float = _param(
        NEAR_COPY_THRESHOLD,
        "Works whose word 5-shingles' estimated Jaccard similarity reaches this are near "
        "copies, valued once (the earliest) (1: only identical shingle sets).",
    )
    executor: str = _param("process", "Where sampled work units run.", lambda: EXECUTORS)

    def check(self) -> RunParams:
        for f in fields(self):
            choices = f.metadata["choices"]
            if choices is not None and getattr(self, f.name) not in (names := tuple(choices())):
                raise ValuationError(
                    f"unknown {f.name} {getattr(self, f.name)!r}; use one of: {', '.join(names)}"
                )
        if not self.label.strip():
            raise ValuationError("the label must name a metadata field of the works")
        if not 0 < self.near_copy_threshold <= 1:
            raise ValuationError(
                f"near-copy threshold must be in (0, 1], got {self.near_copy_threshold}"
            )
        if self.folds < 2:
            raise ValuationError(f"cross-fitting needs at least 2 folds, got {self.folds}")
        checks.seed(self.seed)
        for name in ("k", "dims", "max_updates", "repeats"):
            if getattr(self, name) < 1:
                raise ValuationError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not self.target_stderr >= 0:
            raise ValuationError(f"target stderr cannot be negative, got {self.target_stderr}")
        self._check_sampling()
        return self

    def _check_sampling(self) -> None:
        if self.group_permutations < 0:
            raise ValuationError("group permutations cannot be negative")
        if self.estimators not in (1, ESTIMATORS):
            raise ValuationError(f"estimators must be 1 or {ESTIMATORS}, got {self.estimators}")

    def stop(self, budget: int) -> StoppingRule:
        """The stopping rule of a sampled estimate: the target standard error, if any, within
        ``budget`` samples."""
        rule: StoppingRule = MaxUpdates(budget)
        if self.target_stderr > 0:
            rule = StderrBelow(self.target_stderr) | rule
        return rule

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

"""Cross-fitting: repeated, label-stratified K-fold splits of the pool, so that every work is
valued (in the K - 1 splits where it is training data) and no single split seed decides money.

A run values the pool on R x K splits. Repeat r has its own seed, derived from the run's seed
(``SeedSequence([seed, r])``); it fixes the features' seed (the TF-IDF SVD's solver), the folds
and every sampled quantity of the repeat's splits. A work's value comes from its values over the
splits where it was training data; its standard error is the between-split standard
deviation of those values over the root of their number (the between-split variance includes
each split's own sampling noise). Members' values are averaged the same way, per split (see
``Averager`` for the one scale both share).
Pure: no database here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from syndic.errors import ValuationError
from syndic.valuation.result import FloatArray


def repeat_seed(seed: int, repeat: int) -> int:
    """The seed of repeat ``repeat`` of a run seeded ``seed`` (independent streams)."""
    return int(np.random.SeedSequence([seed, repeat]).generate_state(1)[0])


def folds(labels: NDArray[Any], *, k: int, seed: int) -> NDArray[np.int64]:
    """Each work's fold in 0..k-1, stratified by label: each label's works, in a seeded order,
    are dealt to the folds in turn from a seeded starting fold, so every fold gets its share of
    every label, and the folds' sizes differ by at most one per label."""
    n = len(labels)
    if k < 2:
        raise ValuationError(f"cross-fitting needs at least 2 folds, got {k}")
    if n < 2 * k:
        raise ValuationError(f"{n} works are too few for {k} folds (at least {2 * k})")
    rng = np.random.default_rng(seed)
    out = np.empty(n, dtype=np.int64)
    start = 0
    for value in sorted(set(labels.tolist())):
        members = rng.permutation(np.flatnonzero(labels == value))
        out[members] = (start + np.arange(members.size)) % k
        start = (start + members.size) % k  # the next label continues where this one ended
    return out


@dataclass
class Averager:
    """Running per-player sums over splits. A player's value is the mean over all splits of its
    contribution, 0 in a split where it is absent (a work in the test fold): so works' values
    and members' group values share one total, the mean over splits of U(training part) -
    U(none), and each work's value is (K - 1) / K times its mean where it trains. The standard
    error comes from the between-split variance where the player is present, scaled the same
    way."""

    n: int
    total: FloatArray = field(init=False)
    squares: FloatArray = field(init=False)
    count: NDArray[np.int64] = field(init=False)
    within: FloatArray = field(init=False)  # sum of each split's own squared standard errors

    def __post_init__(self) -> None:
        self.total = np.zeros(self.n)
        self.squares = np.zeros(self.n)
        self.count = np.zeros(self.n, dtype=np.int64)
        self.within = np.zeros(self.n)

    def add(
        self, players: NDArray[np.int64], values: FloatArray, stderr: FloatArray | None = None
    ) -> None:
        self.total[players] += values
        self.squares[players] += values * values
        self.count[players] += 1
        if stderr is not None:
            self.within[players] += stderr * stderr

    def mean(self, splits: int) -> FloatArray:
        out: FloatArray = self.total / splits
        return out

    def stderr(self, splits: int) -> FloatArray:
        c = self.count
        present = np.divide(self.total, c, out=np.zeros(self.n), where=c > 0)
        var = np.divide(
            self.squares - c * present * present, c - 1, out=np.zeros(self.n), where=c > 1
        ).clip(min=0.0)
        # one split: no between-split variance to measure, so its own sampling error stands
        var = np.where(c > 1, var, self.within)
        se: FloatArray = np.sqrt(np.divide(var, c, out=np.zeros(self.n), where=c > 0))
        return se * c / splits


@dataclass
class Splits:
    """The folds of every repeat (repeats x works), as stored with the run."""

    k: int
    assignment: list[list[int]] = field(default_factory=list)

    def add(self, fold_of: NDArray[np.int64]) -> None:
        self.assignment.append([int(f) for f in fold_of])

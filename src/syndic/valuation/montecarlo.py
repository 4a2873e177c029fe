"""Monte-Carlo semivalues: TMC Data Shapley (Ghorbani & Zou 2019) and Beta Shapley (Kwon & Zou
2022) by permutation sampling, sharing one driver with Data Banzhaf (``banzhaf.py``).

The driver hands seeded work units to an executor, folds each unit's samples into running
statistics held in arrays, and asks the stopping rule after every sample. Unit seeds come
from one ``SeedSequence`` in order, and results are folded in order, so a seed gives the same
values whatever the executor or the number of workers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, Self

import numpy as np
from numpy.typing import NDArray
from scipy.special import betaln, gammaln

from syndic.errors import ValuationError
from syndic.valuation import checks
from syndic.valuation.executors import Executor, make_executor
from syndic.valuation.result import FloatArray, ValuationResult
from syndic.valuation.stats import RunningStats
from syndic.valuation.stopping import (
    MaxUpdates,
    Progress,
    StoppingRule,
    budget_left,
    require_bounded,
)
from syndic.valuation.utility import ModelUtility, Scorer


class Game(Protocol):
    """A cooperative game over players 0..n-1: the utility of a coalition (player indices)."""

    n: int

    def __call__(self, subset: Sequence[int] | NDArray[np.integer[Any]]) -> float: ...


class MonteCarloEstimator:
    """Shared constructor and driver. Subclasses define the unit of work and how it is folded."""

    method = "monte-carlo"

    def __init__(
        self,
        model: Any = None,
        *,
        scorer: str | Scorer | None = None,
        stop: StoppingRule | None = None,
        seed: int = 0,
        executor: Executor | str = "process",
        workers: int | None = None,
        units_per_round: int | None = None,
        progress: Callable[[int, int | None], None] | None = None,
    ) -> None:
        self.model = model
        self.scorer = scorer
        self.stop = require_bounded(stop if stop is not None else MaxUpdates(100))
        self.seed = checks.seed(seed)
        self.executor = make_executor(executor, workers) if isinstance(executor, str) else executor
        self.units_per_round = units_per_round
        self.progress = progress
        self._result: ValuationResult | None = None

    @property
    def result(self) -> ValuationResult:
        if self._result is None:
            raise ValuationError("call fit() before reading the result")
        return self._result

    def fit(self, x_train: Any, y_train: Any, x_test: Any, y_test: Any) -> Self:
        if self.model is None:
            raise ValuationError(f"{type(self).__name__} needs a model to value data for")
        return self.fit_game(
            ModelUtility(self.model, x_train, y_train, x_test, y_test, scorer=self.scorer)
        )

    def params(self) -> dict[str, Any]:
        return {"seed": self.seed}

    # --- the driver ----------------------------------------------------------------------
    def fit_game(self, game: Game) -> Self:
        n = int(game.n)
        if n < 1:
            raise ValuationError("there are no players to value")
        state = self._start(game)
        seeds = np.random.SeedSequence(self.seed)
        updates = 0
        progress = Progress(0, np.zeros(n), np.full(n, np.inf))
        while not self.stop.done(progress):
            left = budget_left(self.stop, updates)
            size = self.units_per_round or 2 * self.executor.workers
            size = max(1, size if left is None else min(size, -(-left // self._per_unit())))
            args = [(game, child, state) for child in seeds.spawn(size)]
            for samples in self.executor.map(type(self)._unit, args):
                for sample in self._split(samples):
                    self._absorb(sample)
                    updates += 1
                    progress = Progress(updates, *self._estimate())
                    if self.stop.done(progress):
                        break
                else:
                    if self.progress:
                        self.progress(updates, budget_left(self.stop, 0))
                    continue
                break
        values, stderr = self._estimate()
        self._result = ValuationResult(
            method=self.method,
            values=values,
            stderr=stderr,
            counts=self._counts(),
            updates=updates,
            converged=self.stop.converged(progress),
            params=self.params(),
        )
        return self

    # --- what subclasses define ----------------------------------------------------------
    def _per_unit(self) -> int:
        return 1

    def _start(self, game: Game) -> Any:
        raise NotImplementedError

    @staticmethod
    def _unit(game: Game, seed: np.random.SeedSequence, state: Any) -> Any:
        raise NotImplementedError

    def _split(self, samples: Any) -> list[Any]:
        return [samples]

    def _absorb(self, sample: Any) -> None:
        raise NotImplementedError

    def _estimate(self) -> tuple[FloatArray, FloatArray]:
        raise NotImplementedError

    def _counts(self) -> NDArray[np.int64]:
        raise NotImplementedError


def permutation_marginals(
    game: Game, perm: NDArray[np.int64], total: float, rtol: float
) -> FloatArray:
    """Marginal contribution of each player along one permutation (in player order).

    Truncation (Ghorbani & Zou): once the prefix's utility is within ``rtol * |U(N)|`` of the
    full utility, later players are credited 0 without training anything.
    """
    n = perm.size
    out = np.zeros(n, dtype=np.float64)
    prefix_values = getattr(game, "prefix_values", None)
    if prefix_values is not None:  # games that score every prefix at once (e.g. KNN)
        u = np.concatenate([[game(perm[:0])], prefix_values(perm)])
        out[perm] = np.diff(u)
        return out
    prev = game(perm[:0])
    for i in range(n):
        if rtol > 0 and abs(total - prev) <= rtol * abs(total):
            break
        cur = game(perm[: i + 1])
        out[perm[i]] = cur - prev
        prev = cur
    return out


class _PermutationEstimator(MonteCarloEstimator):
    def __init__(self, model: Any = None, *, truncation: float = 0.0, **kw: Any) -> None:
        super().__init__(model, **kw)
        if not 0 <= truncation < 1:
            raise ValuationError(f"truncation must be in [0, 1), got {truncation}")
        self.truncation = truncation

    def _start(self, game: Game) -> Any:
        self._stats = RunningStats(game.n)
        total = game(np.arange(game.n)) if self.truncation > 0 else 0.0
        return (total, self.truncation, self._weights(game.n))

    def _weights(self, n: int) -> FloatArray | None:
        return None

    @staticmethod
    def _unit(game: Game, seed: np.random.SeedSequence, state: Any) -> Any:
        total, rtol, weights = state
        perm = np.random.default_rng(seed).permutation(game.n).astype(np.int64)
        marg = permutation_marginals(game, perm, total, rtol)
        if weights is not None:
            position = np.empty(game.n, dtype=np.int64)
            position[perm] = np.arange(game.n)
            marg *= weights[position]  # importance weight of the subset size each player saw
        return marg

    def _absorb(self, sample: Any) -> None:
        self._stats.add(sample)

    def _estimate(self) -> tuple[FloatArray, FloatArray]:
        return self._stats.mean.copy(), self._stats.stderr

    def _counts(self) -> NDArray[np.int64]:
        return self._stats.count.copy()

    def params(self) -> dict[str, Any]:
        return {"seed": self.seed, "truncation": self.truncation}


class TMCShapley(_PermutationEstimator):
    """Truncated Monte-Carlo Data Shapley: permutation sampling with early truncation."""

    method = "tmc-shapley"

    def __init__(self, model: Any = None, *, truncation: float = 0.01, **kw: Any) -> None:
        super().__init__(model, truncation=truncation, **kw)


class BetaShapley(_PermutationEstimator):
    """Beta(alpha, beta) Shapley: a semivalue weighting coalitions of size k by
    B(k + beta, n - 1 - k + alpha) / B(alpha, beta) per coalition; alpha > beta favours small
    coalitions (Kwon & Zou's default is Beta(16, 1)). Beta(1, 1) is the Shapley value.

    Estimated by permutation sampling, each marginal reweighted by n * C(n-1, k) * w(k)."""

    method = "beta-shapley"

    def __init__(
        self, model: Any = None, *, alpha: float = 16.0, beta: float = 1.0, **kw: Any
    ) -> None:
        super().__init__(model, **kw)
        if not (alpha > 0 and beta > 0):
            raise ValuationError(f"alpha and beta must be positive, got {alpha}, {beta}")
        self.alpha, self.beta = float(alpha), float(beta)

    def _weights(self, n: int) -> FloatArray:
        k = np.arange(n, dtype=np.float64)
        log_binom = gammaln(n) - gammaln(k + 1) - gammaln(n - k)
        log_w = betaln(k + self.beta, n - 1 - k + self.alpha) - betaln(self.alpha, self.beta)
        return np.asarray(n * np.exp(log_binom + log_w), dtype=np.float64)

    def params(self) -> dict[str, Any]:
        return {**super().params(), "alpha": self.alpha, "beta": self.beta}

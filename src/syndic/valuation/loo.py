"""Leave-one-out: a point's value is U(N) - U(N minus the point). Exact, n + 1 utilities,
spread over the executor in chunks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Self

import numpy as np
from numpy.typing import NDArray

from syndic.errors import ValuationError
from syndic.valuation.executors import Executor, make_executor
from syndic.valuation.montecarlo import Game
from syndic.valuation.result import ValuationResult
from syndic.valuation.utility import ModelUtility, Scorer


def _without(game: Game, players: NDArray[np.int64]) -> list[float]:
    everyone = np.arange(game.n)
    return [game(everyone[everyone != i]) for i in players]


class LeaveOneOut:
    method = "loo"

    def __init__(
        self,
        model: Any = None,
        *,
        scorer: str | Scorer | None = None,
        executor: Executor | str = "process",
        workers: int | None = None,
        progress: Callable[[int, int | None], None] | None = None,
    ) -> None:
        self.model = model
        self.scorer = scorer
        self.executor = make_executor(executor, workers) if isinstance(executor, str) else executor
        self.progress = progress
        self._result: ValuationResult | None = None

    @property
    def result(self) -> ValuationResult:
        if self._result is None:
            raise ValuationError("call fit() before reading the result")
        return self._result

    def fit(self, x_train: Any, y_train: Any, x_test: Any, y_test: Any) -> Self:
        if self.model is None:
            raise ValuationError("LeaveOneOut needs a model to value data for")
        return self.fit_game(
            ModelUtility(self.model, x_train, y_train, x_test, y_test, scorer=self.scorer)
        )

    def fit_game(self, game: Game) -> Self:
        n = int(game.n)
        if n < 1:
            raise ValuationError("there are no players to value")
        full = game(np.arange(n))
        chunks = np.array_split(np.arange(n, dtype=np.int64), min(n, 4 * self.executor.workers))
        values = np.empty(n, dtype=np.float64)
        done = 0
        for idx, part in zip(
            chunks, self.executor.map(_without, [(game, c) for c in chunks]), strict=True
        ):
            values[idx] = full - np.asarray(part, dtype=np.float64)
            done += idx.size
            if self.progress:
                self.progress(done, n)
        self._result = ValuationResult.exact(self.method, values)
        return self

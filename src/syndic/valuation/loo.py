"""Leave-one-out: a point's value is U(N) - U(N minus the point). Exact, n + 1 utilities,
spread over the executor in chunks."""

from __future__ import annotations

from typing import Self

import numpy as np
from numpy.typing import NDArray

from syndic.errors import ValuationError
from syndic.valuation.base import Game, ModelEstimator
from syndic.valuation.result import ValuationResult


def _without(game: Game, players: NDArray[np.int64]) -> list[float]:
    everyone = np.arange(game.n)
    return [game(everyone[everyone != i]) for i in players]


class LeaveOneOut(ModelEstimator):
    method = "loo"

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

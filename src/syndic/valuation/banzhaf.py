"""Data Banzhaf by maximum sample reuse (Wang & Jia 2023).

Each sample is one coalition drawn with every player in or out with probability 1/2, and
ONE utility evaluation. Every player uses every sample: the value is the mean utility of the
coalitions that contain the player minus the mean of those that do not, so a sample updates
two running means per player, held as arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from syndic.errors import ValuationError
from syndic.valuation.montecarlo import Game, MonteCarloEstimator
from syndic.valuation.result import FloatArray
from syndic.valuation.stats import RunningStats


class Banzhaf(MonteCarloEstimator):
    """MSR Data Banzhaf; ``chunk`` coalitions go to a worker at a time."""

    method = "banzhaf-msr"

    def __init__(self, model: Any = None, *, chunk: int = 16, **kw: Any) -> None:
        super().__init__(model, **kw)
        if chunk < 1:
            raise ValuationError(f"chunk must be at least 1, got {chunk}")
        self.chunk = chunk

    def _per_unit(self) -> int:
        return self.chunk

    def _start(self, game: Game) -> Any:
        self._in = RunningStats(game.n)
        self._out = RunningStats(game.n)
        return self.chunk

    @staticmethod
    def _unit(game: Game, seed: np.random.SeedSequence, state: Any) -> Any:
        rng = np.random.default_rng(seed)
        masks = rng.random((int(state), game.n)) < 0.5
        utilities = np.array([game(np.flatnonzero(m)) for m in masks], dtype=np.float64)
        return masks, utilities

    def _split(self, samples: Any) -> list[Any]:
        masks, utilities = samples
        return [(masks[i], utilities[i]) for i in range(len(utilities))]

    def _absorb(self, sample: Any) -> None:
        mask, u = sample
        x = np.full(mask.shape, u)
        self._in.add(x[mask], np.flatnonzero(mask))
        self._out.add(x[~mask], np.flatnonzero(~mask))

    def _estimate(self) -> tuple[FloatArray, FloatArray]:
        values = self._in.mean - self._out.mean
        n_in, n_out = self._in.count, self._out.count
        ok = (n_in > 1) & (n_out > 1)
        stderr = np.full_like(values, np.inf)
        stderr[ok] = np.sqrt(self._in.variance[ok] / n_in[ok] + self._out.variance[ok] / n_out[ok])
        return values, stderr

    def _counts(self) -> NDArray[np.int64]:
        return np.minimum(self._in.count, self._out.count)

    def params(self) -> dict[str, Any]:
        return {"seed": self.seed, "chunk": self.chunk}

"""Data Banzhaf by maximum sample reuse (Wang & Jia 2023).

Each sample is one coalition drawn with every player in or out with probability 1/2, and
ONE utility evaluation. Every player uses every sample: the value is the mean utility of the
coalitions that contain the player minus the mean of those that do not, so a sample updates
two running means per player, held as arrays.

For groups (``group_weights``, points x groups), the difference of means is, for any constant
c and with half of the samples on each side, the mean over samples of 2 (u - c) (2 z_i - 1)
(z_i: whether point i is in the coalition). Taking c = the mean utility, a group's value is the
mean of 2 (u - c) a with a = sum_i w_i (2 z_i - 1), and its standard error is the spread of
those per-sample terms (correlation between points included). Five running sums per group,
about the first sample's utility to keep the differences small, give that spread at the end
for the final c.
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
        if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
            raise ValuationError(f"chunk must be a positive integer, got {chunk!r}")
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

    def _group_start(self, weights: Any) -> None:
        g = weights.shape[1]
        self._ref: float | None = None  # the first utility: sums are kept about it
        self._m = 0
        self._r = 0.0  # sum of r = u - ref
        self._sums = np.zeros((5, g))  # a, r a, a^2, r a^2, r^2 a^2

    def _group_absorb(self, sample: Any) -> None:
        assert self._w is not None
        mask, u = sample
        if self._ref is None:
            self._ref = float(u)
        r = float(u) - self._ref
        a = np.asarray(self._w.T @ np.where(mask, 1.0, -1.0), dtype=np.float64)
        aa = a * a
        self._sums += np.stack([a, r * a, aa, r * aa, r * r * aa])
        self._m += 1
        self._r += r

    def _group_stderr(self) -> FloatArray:
        m = self._m
        if m < 2:
            return np.full(self._sums.shape[1], np.inf)
        c = self._r / m  # the mean utility, about the reference
        s_a, s_ra, s_aa, s_raa, s_rraa = self._sums
        first = (s_ra - c * s_a) / m  # mean of (u - c) a
        second = (s_rraa - 2 * c * s_raa + c * c * s_aa) / m  # mean of (u - c)^2 a^2
        var = np.maximum(4 * (second - first * first), 0.0) * m / (m - 1)
        return np.asarray(np.sqrt(var / m), dtype=np.float64)

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

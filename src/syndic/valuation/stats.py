"""Running means and variances for every player at once, in three arrays (never one object
per player): Welford's update, one sample per player at a time."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from syndic.valuation.result import FloatArray


class RunningStats:
    def __init__(self, n: int) -> None:
        self.count = np.zeros(n, dtype=np.int64)
        self.mean = np.zeros(n, dtype=np.float64)
        self.m2 = np.zeros(n, dtype=np.float64)

    def add(self, x: FloatArray, where: NDArray[Any] | None = None) -> None:
        """One sample per player (``where`` limits it to those players, unique indices)."""
        if where is None:
            self.count += 1
            delta = x - self.mean
            self.mean += delta / self.count
            self.m2 += delta * (x - self.mean)
            return
        c = self.count[where] + 1
        mean = self.mean[where]
        delta = x - mean
        mean = mean + delta / c
        self.m2[where] += delta * (x - mean)
        self.mean[where] = mean
        self.count[where] = c

    @property
    def variance(self) -> FloatArray:
        return np.divide(self.m2, self.count - 1, out=np.zeros_like(self.m2), where=self.count > 1)

    @property
    def stderr(self) -> FloatArray:
        """Standard error of each mean; infinite where fewer than two samples arrived."""
        out = np.full_like(self.mean, np.inf)
        ok = self.count > 1
        out[ok] = np.sqrt(self.variance[ok] / self.count[ok])
        return out

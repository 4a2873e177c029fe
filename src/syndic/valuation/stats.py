"""Running means and variances for every player at once, in three arrays (never one object
per player): Welford's update for one sample each, Chan's merge for a batch of samples."""

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

    def merge(self, count: NDArray[np.int64], mean: FloatArray, m2: FloatArray) -> None:
        """Merge another set of running statistics (per player) into these."""
        total = self.count + count
        has = total > 0
        delta = mean - self.mean
        frac = np.divide(count, total, out=np.zeros_like(self.mean), where=has)
        self.mean += delta * frac
        self.m2 += m2 + delta * delta * self.count * frac
        self.count = total

    def add_masked(self, masks: NDArray[np.bool_], samples: FloatArray) -> None:
        """Each row of ``masks`` picks the players that observe the matching sample."""
        m = masks.astype(np.float64)
        count = masks.sum(axis=0).astype(np.int64)
        total = samples @ m
        mean = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
        # second moment about the batch mean, without the cancellation of E[x^2] - E[x]^2
        m2 = ((samples[:, None] - mean[None, :]) ** 2 * m).sum(axis=0)
        self.merge(count, mean, m2)

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

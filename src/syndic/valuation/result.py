"""``ValuationResult``: what every estimator hands back, one entry per player (point or group)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class ValuationResult:
    """Values and their standard errors (zeros for exact methods), one per player.

    ``counts`` is how many samples each value averages (0 for exact methods); ``updates`` how
    many sampling rounds ran; ``converged`` whether the stopping rule was met by convergence
    rather than by a budget.
    """

    method: str
    values: FloatArray
    stderr: FloatArray
    counts: NDArray[np.int64]
    updates: int = 0
    converged: bool = True
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = self.values.shape
        if self.stderr.shape != n or self.counts.shape != n or len(n) != 1:
            raise ValueError("values, stderr and counts must be 1-d arrays of one length")

    @classmethod
    def exact(cls, method: str, values: FloatArray, **params: Any) -> ValuationResult:
        v = np.asarray(values, dtype=np.float64)
        return cls(
            method=method,
            values=v,
            stderr=np.zeros_like(v),
            counts=np.zeros(v.shape, dtype=np.int64),
            params=params,
        )

    def __len__(self) -> int:
        return int(self.values.shape[0])

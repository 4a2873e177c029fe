"""Saturating power laws fitted to learning curves: ``err(n) = a + b * n**-c``.

A curve is fitted to the mean error over seeds at each size (scipy's ``curve_fit``, bounded:
``a >= 0``, ``b >= 0``, ``0 < c <= 3``); its interval comes from a bootstrap over seeds (at
each size the seeds are resampled with replacement and the curve refitted). The refits solve
the same bounded least squares by profiling: for each exponent ``c`` the best ``a`` and ``b``
are exact, so only ``c`` is searched (a log grid, then scipy's bounded scalar minimiser), for
every resample at once: a hundred refits cost what a few ``curve_fit`` calls do. With only a few
seeds a bootstrap is too narrow by about ``sqrt(k / (k - 1))``; the spread is widened by that
factor (the usual small-sample correction), which the coverage test checks.

Before anyone extrapolates, the curve is judged: one that rises with size by more than its
noise, or that the law fits badly, is flagged and said in words, and no figure is read off it.
Reading the curve beyond ``MAX_EXTRAPOLATION`` times the largest measured size is refused
unless asked for, and is then labelled.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from syndic.errors import LeverageError

MAX_EXTRAPOLATION = 4.0
MIN_R2 = 0.8  # below this share of the variance of the means explained, a fit is "bad"
CONFIDENCE = 0.95
BOOTSTRAP = 100

FloatArray = NDArray[np.float64]


def power_law(n: Any, a: Any, b: Any, c: Any) -> Any:
    return a + b * np.power(np.asarray(n, dtype=np.float64), -c)


@dataclass(frozen=True)
class Curve:
    """Errors measured at ``sizes`` (ascending), one column per seed."""

    sizes: FloatArray
    errors: FloatArray  # (len(sizes), seeds)

    def means(self) -> FloatArray:
        return np.asarray(self.errors.mean(axis=1), dtype=np.float64)


@dataclass
class Fit:
    """A fitted curve, its bootstrap parameters and what is wrong with it, in words."""

    a: float
    b: float
    c: float
    r2: float
    boot: FloatArray  # (B, 3): a, b, c per bootstrap refit (rows that failed are dropped)
    max_size: float
    flags: list[str] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return not self.flags

    def interval(self, j: int) -> tuple[float, float]:
        return _interval(self.boot[:, j], (self.a, self.b, self.c)[j])

    def summary(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "c": self.c,
            "c_interval": list(self.interval(2)),
            "a_interval": list(self.interval(0)),
            "r2": self.r2,
            "flags": self.flags,
            "usable": self.usable,
        }

    def predict(self, n: float, *, extrapolate: bool = False) -> tuple[float, float, float]:
        """The error at ``n`` with its interval."""
        self.check_range(n, extrapolate=extrapolate)
        point = float(power_law(n, self.a, self.b, self.c))
        boot = power_law(n, self.boot[:, 0], self.boot[:, 1], self.boot[:, 2])
        low, high = _interval(np.asarray(boot, dtype=np.float64), point)
        return point, low, high

    def size_for(self, err: float) -> float:
        """The size at which the fitted curve reaches ``err`` (inf when it never does)."""
        return _inverse(err, self.a, self.b, self.c)

    def sizes_for(self, err: float) -> FloatArray:
        return np.asarray(
            [_inverse(err, a, b, c) for a, b, c in self.boot.tolist()], dtype=np.float64
        )

    def check_range(self, n: float, *, extrapolate: bool) -> None:
        if not self.usable:
            raise LeverageError(
                "the curve cannot be read off: " + "; ".join(self.flags) + " (see the points)"
            )
        if n > MAX_EXTRAPOLATION * self.max_size and not extrapolate:
            raise LeverageError(
                f"size {n:,.0f} is more than {MAX_EXTRAPOLATION:g}x the largest measured size "
                f"({self.max_size:,.0f}): that is extrapolation; ask for it with --extrapolate"
            )


def _inverse(err: float, a: float, b: float, c: float) -> float:
    if err <= a or b <= 0 or c <= 0:
        return math.inf
    return float(((err - a) / b) ** (-1.0 / c))


def _interval(values: FloatArray, point: float) -> tuple[float, float]:
    """Percentile interval of bootstrap ``values``, widened about ``point`` by the
    small-sample factor set on the module (applied where the bootstrap was drawn)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return (math.nan, math.nan)
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return float(min(low, point)), float(max(high, point))


def _jacobian(n: Any, a: float, b: float, c: float) -> Any:
    """The law's partial derivatives in (a, b, c): analytic, so a fit takes about a
    millisecond and a bootstrap of a few hundred refits stays cheap."""
    n = np.asarray(n, dtype=np.float64)
    p = np.power(n, -c)
    return np.stack([np.ones_like(n), p, -b * np.log(n) * p], axis=1)


def _fit_params(sizes: FloatArray, y: FloatArray, p0: tuple[float, float, float]) -> FloatArray:
    from scipy.optimize import OptimizeWarning, curve_fit

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OptimizeWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        params, _ = curve_fit(
            power_law,
            sizes,
            y,
            p0=p0,
            jac=_jacobian,
            bounds=([0.0, 0.0, 1e-3], [np.inf, np.inf, 3.0]),
            maxfev=20_000,
        )
    return np.asarray(params, dtype=np.float64)


def _r2(sizes: FloatArray, y: FloatArray, p: FloatArray) -> float:
    resid = y - power_law(sizes, *p)
    total = float(((y - y.mean()) ** 2).sum())
    if total <= 0:
        return 0.0
    return 1.0 - float((resid**2).sum()) / total


def judge(curve: Curve) -> list[str]:
    """What stops a curve from being read off, in words (empty: it can be)."""
    flags = []
    means = curve.means()
    k = curve.errors.shape[1]
    se = curve.errors.std(axis=1, ddof=1) / math.sqrt(k) if k > 1 else np.zeros_like(means)
    # a rise between neighbouring sizes beyond twice the combined standard error (and beyond a
    # hair, for noiseless curves) is not noise
    for i in range(len(means) - 1):
        rise = means[i + 1] - means[i]
        noise = 2 * math.hypot(se[i], se[i + 1])
        if rise > max(noise, 1e-9 + 1e-3 * abs(means[i])):
            flags.append(
                f"not monotone: the error rises from {means[i]:.4g} at {curve.sizes[i]:,.0f} "
                f"to {means[i + 1]:.4g} at {curve.sizes[i + 1]:,.0f}"
            )
            break
    if not np.isfinite(curve.errors).all():
        flags.append("some measured errors are not finite")
    return flags


def fit(curve: Curve, *, seed: int, bootstrap: int = BOOTSTRAP) -> Fit:
    """Fit the law to ``curve`` and bootstrap it over seeds; flag what makes it unreadable."""
    sizes = np.asarray(curve.sizes, dtype=np.float64)
    if sizes.size < 4:
        raise LeverageError(f"a scaling fit needs at least 4 sizes, got {sizes.size}")
    flags = judge(curve)
    means = curve.means()
    start = profile_fit(sizes, means[None, :])[0]
    try:
        p = _fit_params(
            sizes, means, (float(start[0]), max(float(start[1]), 1e-9), float(start[2]))
        )
    except (RuntimeError, ValueError) as exc:
        return Fit(
            math.nan,
            math.nan,
            math.nan,
            math.nan,
            np.empty((0, 3)),
            float(sizes.max()),
            [*flags, f"the power law did not fit ({exc})"],
        )
    r2 = _r2(sizes, means, p)
    if r2 < MIN_R2:
        flags.append(f"the power law fits badly (R² {r2:.2f} < {MIN_R2})")
    boot = _bootstrap(curve, seed=seed, rounds=bootstrap)
    return Fit(float(p[0]), float(p[1]), float(p[2]), r2, boot, float(sizes.max()), flags)


def _ab(
    sizes: FloatArray, ys: FloatArray, c: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """For exponents ``c`` (one per row of ``ys``), the least-squares ``a >= 0, b >= 0`` of
    each row (a two-variable non-negative least squares, solved exactly: the best feasible of
    the unconstrained solution, ``a = 0`` and ``b = 0``), and each row's squared error."""
    p = np.power(sizes[None, :], -c[:, None])
    pm, ym = p.mean(axis=1), ys.mean(axis=1)
    dp = p - pm[:, None]
    b_free = (dp * (ys - ym[:, None])).sum(axis=1) / (dp**2).sum(axis=1)
    cands = [
        (ym - b_free * pm, b_free),
        (np.zeros_like(ym), np.maximum(0.0, (ys * p).sum(axis=1) / (p * p).sum(axis=1))),
    ]
    best_a, best_b = np.maximum(0.0, ym), np.zeros_like(ym)
    best = ((ys - best_a[:, None]) ** 2).sum(axis=1)
    for a, b in cands:
        sse = ((ys - a[:, None] - b[:, None] * p) ** 2).sum(axis=1)
        better = (a >= 0) & (b >= 0) & (sse < best)
        best_a = np.where(better, a, best_a)
        best_b = np.where(better, b, best_b)
        best = np.where(better, sse, best)
    return best_a, best_b, best


GRID = np.geomspace(1e-3, 3.0, 121)
_GOLD = (math.sqrt(5) - 1) / 2


def profile_fit(sizes: FloatArray, ys: FloatArray) -> FloatArray:
    """The same bounded least squares as ``curve_fit``, for many curves at once: ``a`` and
    ``b`` are solved exactly for each ``c``; ``c`` is found on a log grid and refined by a
    golden-section search in the grid cell around the best point, all rows together.
    Returns (rows, 3): a, b, c."""
    rows = ys.shape[0]
    sse = np.stack([_ab(sizes, ys, np.full(rows, c))[2] for c in GRID], axis=1)
    j = sse.argmin(axis=1)
    lo, hi = GRID[np.maximum(0, j - 1)], GRID[np.minimum(len(GRID) - 1, j + 1)]
    for _ in range(40):  # the bracket shrinks by 0.618 a step: 40 steps reach ~1e-9 of it
        c1, c2 = hi - _GOLD * (hi - lo), lo + _GOLD * (hi - lo)
        left = _ab(sizes, ys, c1)[2] <= _ab(sizes, ys, c2)[2]
        hi = np.where(left, c2, hi)
        lo = np.where(left, lo, c1)
    c = (lo + hi) / 2
    a, b, _ = _ab(sizes, ys, c)
    return np.stack([a, b, c], axis=1)


def _bootstrap(curve: Curve, *, seed: int, rounds: int) -> FloatArray:
    """The law refitted to ``rounds`` resamplings of the seeds at every size."""
    rng = np.random.default_rng(seed)
    sizes = np.asarray(curve.sizes, dtype=np.float64)
    k = curve.errors.shape[1]
    means = curve.means()
    widen = math.sqrt(k / (k - 1)) if k > 1 else 1.0
    pick = rng.integers(0, k, size=(rounds, *curve.errors.shape))
    resampled = np.take_along_axis(np.broadcast_to(curve.errors, pick.shape), pick, axis=2).mean(
        axis=2
    )
    # small-sample correction: stretch the resampled means' spread about the observed ones
    ys = means + widen * (resampled - means)
    return profile_fit(sizes, ys)

"""The power-law fit: its interval covers the true exponent; bad curves are recognised."""

from __future__ import annotations

import numpy as np
import pytest

from syndic.bargaining.scaling import Curve, _fit_params, fit, profile_fit
from syndic.errors import LeverageError

SIZES = np.geomspace(100, 25_600, 6)


def synthetic(seed: int, a: float = 0.1, b: float = 2.0, c: float = 0.5) -> Curve:
    """Errors that follow ``a + b n^-c``, with noise that shrinks as the curve flattens,
    one column per seed (5 seeds)."""
    rng = np.random.default_rng(1000 + seed)
    true = a + b * SIZES**-c
    noise = rng.normal(0, 1, (SIZES.size, 5)) * (0.1 * (true - a) + 0.002)[:, None]
    return Curve(SIZES, true[:, None] + noise)


def test_interval_covers_the_true_exponent_in_at_least_90_percent_of_50_seeds() -> None:
    hits = 0
    for seed in range(50):
        f = fit(synthetic(seed), seed=seed, bootstrap=100)
        low, high = f.interval(2)
        hits += low <= 0.5 <= high
        assert f.usable
    assert hits >= 45, hits


def test_the_bootstrap_refits_solve_the_same_least_squares_as_curve_fit() -> None:
    curve = synthetic(3)
    profile = profile_fit(SIZES, curve.means()[None, :])[0]
    direct = _fit_params(SIZES, curve.means(), (0.05, 1.0, 0.3))
    assert profile == pytest.approx(direct, rel=1e-3, abs=1e-5)


def test_a_monotone_noiseless_curve_is_usable_and_read_back() -> None:
    errors = (0.2 + 3.0 * SIZES**-0.7)[:, None].repeat(3, axis=1)
    f = fit(Curve(SIZES, errors), seed=0)
    assert f.usable and f.flags == []
    assert f.c == pytest.approx(0.7, rel=1e-3)
    assert f.size_for(f.predict(5000)[0]) == pytest.approx(5000, rel=1e-3)


def test_a_rising_curve_is_flagged_not_monotone_and_cannot_be_read() -> None:
    errors = np.array([0.5, 0.4, 0.3, 0.45, 0.5, 0.55])[:, None] + np.array([0, 0.001, -0.001])
    f = fit(Curve(SIZES, errors), seed=0)
    assert any(flag.startswith("not monotone") for flag in f.flags)
    with pytest.raises(LeverageError, match="cannot be read off: not monotone"):
        f.predict(1000)


def test_a_flat_noisy_curve_is_flagged_as_a_bad_fit() -> None:
    rng = np.random.default_rng(0)
    errors = 0.3 + rng.normal(0, 0.001, (SIZES.size, 5))
    errors[::2] -= 0.0015  # zig-zag within noise: not rising, but no power law either
    f = fit(Curve(SIZES, errors), seed=0)
    assert any("fits badly" in flag for flag in f.flags), f.flags


def test_extrapolation_beyond_4x_is_refused_unless_asked() -> None:
    f = fit(synthetic(1), seed=1)
    f.predict(4 * SIZES[-1])
    with pytest.raises(LeverageError, match="more than 4x the largest measured size"):
        f.predict(4.01 * SIZES[-1])
    point, low, high = f.predict(10 * SIZES[-1], extrapolate=True)
    assert low <= point <= high


def test_too_few_sizes_are_refused() -> None:
    with pytest.raises(LeverageError, match="at least 4 sizes"):
        fit(Curve(SIZES[:3], np.ones((3, 2))), seed=0)

"""Monte-Carlo estimators on games with known values; seeds, executors and stopping rules."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

from syndic.errors import ValuationError
from syndic.valuation import (
    Banzhaf,
    BetaShapley,
    KNNGame,
    KNNShapley,
    LeaveOneOut,
    MaxUpdates,
    ModelUtility,
    StderrBelow,
    TMCShapley,
    exact_shapley,
)
from syndic.valuation.executors import ProcessExecutor, SerialExecutor, make_executor

from .helpers import blobs


class Additive:
    """U(S) = sum of weights in S: every semivalue (Shapley, Banzhaf, Beta) equals the weight."""

    def __init__(self, w: np.ndarray) -> None:
        self.w = w
        self.n = len(w)

    def __call__(self, subset) -> float:
        return float(self.w[np.asarray(subset, dtype=np.int64)].sum())


class Majority:
    """U(S) = 1 when S holds more than half of n players: Shapley = Banzhaf direction 1/n."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __call__(self, subset) -> float:
        return float(len(subset) > self.n / 2)


W = np.array([0.5, -0.2, 1.0, 0.0, 0.3])


def test_shapley_of_an_additive_game_is_exact_on_every_permutation() -> None:
    r = TMCShapley(stop=MaxUpdates(5), executor="serial", truncation=0.0).fit_game(Additive(W))
    np.testing.assert_allclose(r.result.values, W, atol=1e-12)


@pytest.mark.parametrize(
    "est",
    [
        BetaShapley(stop=MaxUpdates(400), executor="serial", alpha=16, beta=1),
        BetaShapley(stop=MaxUpdates(400), executor="serial", alpha=1, beta=4),
        Banzhaf(stop=MaxUpdates(2000), executor="serial"),
    ],
)
def test_semivalues_of_an_additive_game_are_the_weights(est) -> None:
    # every semivalue of an additive game is the weight; the estimates are unbiased
    r = est.fit_game(Additive(W)).result
    assert (np.abs(r.values - W) <= 4.5 * r.stderr).all()
    assert r.stderr.max() < 0.2


def test_beta_one_one_weights_are_the_shapley_weights() -> None:
    np.testing.assert_allclose(BetaShapley(alpha=1, beta=1)._weights(7), np.ones(7))
    w = BetaShapley(alpha=16, beta=1)._weights(7)
    assert w.mean() == pytest.approx(1.0) and w[0] > w[-1]


def test_tmc_without_truncation_estimates_the_exact_shapley_value() -> None:
    x, y, xt, yt = blobs(8, 20, seed=4)
    game = KNNGame(x, y, xt, yt, k=3)
    exact = exact_shapley(game).values
    r = TMCShapley(stop=MaxUpdates(400), executor="serial", truncation=0.0, seed=1).fit_game(game)
    res = r.result
    # the estimate is a mean of 400 draws: it lies within 4.5 standard errors of the truth
    assert (np.abs(res.values - exact) <= 4.5 * res.stderr + 1e-12).all()
    assert res.updates == 400 and (res.counts == 400).all()


def test_exact_shapley_of_a_point_game_is_knn_shapley() -> None:
    x, y, xt, yt = blobs(8, 15, classes=3, seed=2)
    exact = exact_shapley(KNNGame(x, y, xt, yt, k=3)).values
    np.testing.assert_allclose(exact, KNNShapley(k=3).fit(x, y, xt, yt).result.values, atol=1e-12)


def test_banzhaf_of_majority_is_the_swing_probability() -> None:
    from math import comb

    n = 5
    swing = comb(n - 1, 2) / 2 ** (n - 1)  # a player swings when exactly 2 others are in
    r = Banzhaf(stop=MaxUpdates(4000), executor="serial", seed=3).fit_game(Majority(n)).result
    assert (np.abs(r.values - swing) <= 4.5 * r.stderr).all()


def test_tmc_truncation_skips_fits_once_the_prefix_is_close_to_the_full_utility() -> None:
    x, y, xt, yt = blobs(60, 40, seed=7)
    u = ModelUtility(KNeighborsClassifier(n_neighbors=3), x, y, xt, yt)
    TMCShapley(stop=MaxUpdates(3), truncation=0.05, executor="serial").fit_game(u)
    assert u.fits < 3 * 60


def test_same_seed_same_values_on_any_executor() -> None:
    x, y, xt, yt = blobs(30, 20)
    model = LogisticRegression()
    runs = [
        TMCShapley(model, stop=MaxUpdates(6), seed=9, executor=ex).fit(x, y, xt, yt).result
        for ex in (SerialExecutor(), ProcessExecutor(2))
    ]
    np.testing.assert_array_equal(runs[0].values, runs[1].values)
    other = TMCShapley(model, stop=MaxUpdates(6), seed=10, executor="serial").fit(x, y, xt, yt)
    assert not np.array_equal(other.result.values, runs[0].values)


def test_round_size_does_not_change_the_values() -> None:
    game = KNNGame(*blobs(12, 10), k=3)
    a = TMCShapley(stop=MaxUpdates(9), executor="serial", units_per_round=1).fit_game(game)
    b = TMCShapley(stop=MaxUpdates(9), executor="serial", units_per_round=4).fit_game(game)
    np.testing.assert_array_equal(a.result.values, b.result.values)
    assert a.result.updates == b.result.updates == 9


def test_stopping_rules_combine() -> None:
    game = Additive(W)
    # converges after the first 10 rounds (zero variance), far before the budget
    r = TMCShapley(stop=StderrBelow(1e-6) | MaxUpdates(500), executor="serial").fit_game(game)
    assert r.result.updates == 10 and r.result.converged
    # the budget stops a noisy game before its stderr gets that low
    r = Banzhaf(stop=StderrBelow(1e-6) | MaxUpdates(32), executor="serial").fit_game(game)
    assert r.result.updates == 32 and not r.result.converged
    both = MaxUpdates(5) & MaxUpdates(7)
    r = TMCShapley(stop=both, executor="serial").fit_game(game)
    assert r.result.updates == 7


def test_a_rule_that_could_run_forever_is_refused() -> None:
    with pytest.raises(ValuationError, match="run forever"):
        TMCShapley(stop=StderrBelow(0.01))
    with pytest.raises(ValuationError, match="run forever"):
        TMCShapley(stop=StderrBelow(0.01) & MaxUpdates(10))
    with pytest.raises(ValuationError, match="positive integer"):
        MaxUpdates(0)
    with pytest.raises(ValuationError, match="positive threshold"):
        StderrBelow(0)


def test_loo_is_the_drop_in_utility() -> None:
    x, y, xt, yt = blobs(15, 20, seed=1)
    model = KNeighborsClassifier(n_neighbors=3)
    r = LeaveOneOut(model, executor=ProcessExecutor(2)).fit(x, y, xt, yt).result
    u = ModelUtility(model, x, y, xt, yt)
    full = u(np.arange(15))
    expect = [full - u(np.delete(np.arange(15), i)) for i in range(15)]
    np.testing.assert_allclose(r.values, expect)
    assert not r.stderr.any()


def test_utility_edge_cases() -> None:
    x, y, xt, yt = blobs(10, 8)
    u = ModelUtility(KNeighborsClassifier(n_neighbors=5), x, y, xt, yt)
    assert u([]) == 0.0
    one_class = np.flatnonzero(y == y[0])[:2]
    assert u(one_class) == pytest.approx(np.mean(yt == y[0]))
    two = [int(np.flatnonzero(y == 0)[0]), int(np.flatnonzero(y == 1)[0])]
    assert 0.0 <= u(two) <= 1.0  # KNN on fewer points than K still scores
    with pytest.raises(ValuationError, match="scikit-learn-style"):
        ModelUtility(object(), x, y, xt, yt)
    with pytest.raises(ValuationError, match="unknown scorer"):
        ModelUtility(LogisticRegression(), x, y, xt, yt, scorer="no-such-scorer")
    with pytest.raises(ValuationError, match="needs a model"):
        TMCShapley(executor="serial").fit(x, y, xt, yt)
    with pytest.raises(ValuationError, match="unknown executor"):
        make_executor("gpu-cluster")
    with pytest.raises(ValuationError, match="seed"):
        TMCShapley(seed=-1)


def test_ray_executor_says_how_to_install_it() -> None:
    try:
        import ray  # noqa: F401
    except ImportError:
        with pytest.raises(ValuationError, match=r"syndic\[ray\]"):
            make_executor("ray")
    else:  # pragma: no cover - only where the extra is installed
        ex = make_executor("ray", 1)
        assert list(ex.map(pow, [(2, 3), (3, 2)])) == [8, 9]

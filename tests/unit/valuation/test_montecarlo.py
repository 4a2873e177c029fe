"""Monte-Carlo estimators on games with known values; seeds, executors and stopping rules."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy import sparse, stats
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
    sum_by_group,
)
from syndic.valuation.executors import ProcessExecutor, SerialExecutor, make_executor

from .helpers import blobs, brute_beta_shapley


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


def test_beta_strata_give_the_same_values_on_any_executor() -> None:
    x, y, xt, yt = blobs(30, 20)
    runs = [
        BetaShapley(LogisticRegression(), stop=MaxUpdates(3), seed=4, executor=ex)
        .fit(x, y, xt, yt)
        .result
        for ex in (SerialExecutor(), ProcessExecutor(2))
    ]
    np.testing.assert_array_equal(runs[0].values, runs[1].values)
    assert runs[0].params["head"] == 3
    plain = BetaShapley(LogisticRegression(), stop=MaxUpdates(3), seed=4, head=0, executor="serial")
    assert not np.array_equal(plain.fit(x, y, xt, yt).result.values, runs[0].values)


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


class AnyGame:
    """U(S) = 1 when S is not empty: on every permutation the first player gets 1, the rest 0,
    so the marginals of one permutation are perfectly (negatively) correlated."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __call__(self, subset) -> float:
        return float(len(subset) > 0)


def test_beta_shapley_matches_enumeration_on_a_knn_game() -> None:
    x, y, xt, yt = blobs(6, 25, seed=6)
    game = KNNGame(x, y, xt, yt, k=2)
    truth = brute_beta_shapley(6, game, 16.0, 1.0)
    est = BetaShapley(stop=MaxUpdates(1000), executor="serial", seed=5, weight_tol=2e-3)
    assert est._positions(6) == (0, 4)  # the last two positions carry < 1e-3 of the weight
    r = est.fit_game(game).result
    # unbiased up to the weight left out (at most weight_tol times the largest marginal, 1)
    assert (np.abs(r.values - truth) <= 4.5 * r.stderr + 2e-3).all()
    assert r.params["weight_tol"] == 2e-3
    exact = BetaShapley(stop=MaxUpdates(1000), executor="serial", seed=5, weight_tol=0.0)
    assert exact._positions(6) == (0, 6)
    r0 = exact.fit_game(game).result
    assert (np.abs(r0.values - truth) <= 4.5 * r0.stderr + 1e-12).all()


def test_beta_shapley_trains_no_model_where_the_weight_is_negligible() -> None:
    x, y, xt, yt = blobs(120, 30, seed=9)
    u = ModelUtility(KNeighborsClassifier(n_neighbors=3), x, y, xt, yt)
    est = BetaShapley(stop=MaxUpdates(2), executor="serial", alpha=16, beta=1)
    start, stop = est._positions(120)
    w = est._weights(120) / 120
    assert start == 0 and w[stop:].sum() <= 0.5e-6 < w[stop - 1 :].sum()
    sizes: list[int] = []

    class Recorded:
        n = u.n

        def __call__(self, subset: Any) -> float:
            sizes.append(len(subset))
            return u(subset)

    est.fit_game(Recorded())
    assert max(sizes) == stop  # no coalition past the last position worth evaluating
    # once the players alone, then per update a permutation up to stop and two chains (n + 2)
    assert u.fits <= 121 + 2 * (stop + 2 * 122)
    # alpha < beta favours large coalitions: the negligible weight is at the start instead
    late = BetaShapley(alpha=1, beta=16)._positions(120)
    assert late[0] > 0 and late[1] == 120


def test_group_stderr_keeps_the_correlation_within_a_permutation() -> None:
    weights = np.array([[1.0, 1.0, 0.0]] * 3 + [[1.0, 0.0, 1.0]] * 3)  # all; first; last half
    r = TMCShapley(stop=MaxUpdates(200), executor="serial", truncation=0.0, seed=1).fit_game(
        AnyGame(6), group_weights=weights
    )
    g = r.group_result
    np.testing.assert_allclose(g.values, weights.T @ r.result.values)
    assert g.values[0] == pytest.approx(1.0)
    assert g.stderr[0] == 0.0  # the group of everyone gets exactly 1 on every permutation
    # a half gets 1 when one of its players comes first: Bernoulli(1/2) per permutation (the
    # reported error is widened to Student's t on 199 degrees of freedom)
    p = g.values[1]
    widen = stats.t.ppf(0.975, 199) / stats.norm.ppf(0.975)
    assert g.stderr[1] == pytest.approx(np.sqrt(p * (1 - p) / 199) * widen, rel=1e-9)
    independent = np.sqrt((weights**2).T @ r.result.stderr**2)
    assert independent[0] > 0.05 and independent[1] > 1.2 * g.stderr[1]
    with pytest.raises(ValuationError, match="sum_by_group adds exact values only"):
        sum_by_group(r.result, sparse.csr_matrix(weights))


def test_banzhaf_group_stderr_matches_the_spread_over_seeds() -> None:
    weights = np.array([[1.0, 1.0, 0.0]] * 4 + [[1.0, 0.0, 1.0]] * 4)
    values, reported = [], []
    for seed in range(30):
        est = Banzhaf(stop=MaxUpdates(300), executor="serial", seed=seed)
        g = est.fit_game(AnyGame(8), group_weights=weights).group_result
        values.append(g.values)
        reported.append(g.stderr)
        independent = np.sqrt((weights**2).T @ est.result.stderr**2)
    spread = np.std(values, axis=0, ddof=1)
    ratio = np.mean(reported, axis=0) / spread
    assert ((ratio > 0.6) & (ratio < 1.5)).all(), ratio
    assert (independent < 0.5 * spread).all()  # what summing variances would have claimed


def test_group_weights_are_checked() -> None:
    est = TMCShapley(stop=MaxUpdates(2), executor="serial")
    with pytest.raises(ValuationError, match="one row per point"):
        est.fit_game(Additive(W), group_weights=np.ones((3, 2)))
    with pytest.raises(ValuationError, match="NaN or infinite"):
        est.fit_game(Additive(W), group_weights=np.full((5, 1), np.nan))
    with pytest.raises(ValuationError, match="before reading group_result"):
        _ = est.fit_game(Additive(W)).group_result


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: TMCShapley(truncation=1.0), "truncation must be in"),
        (lambda: TMCShapley(truncation=-0.1), "truncation must be in"),
        (lambda: BetaShapley(alpha=0), "alpha must be a positive number"),
        (lambda: BetaShapley(beta=-1), "beta must be a positive number"),
        (lambda: BetaShapley(alpha="16"), "alpha must be a positive number"),
        (lambda: BetaShapley(weight_tol=1.0), "weight_tol must be in"),
        (lambda: BetaShapley(head=-1), "head must be a whole number"),
        (lambda: Banzhaf(chunk=0), "chunk must be a positive integer"),
        (lambda: Banzhaf(chunk=2.5), "chunk must be a positive integer"),
        (lambda: ProcessExecutor(0), "workers must be at least 1"),
        (lambda: make_executor("process", -1), "workers must be at least 1"),
        (lambda: StderrBelow(0.01, fraction=0), "fraction must be in"),
        (lambda: StderrBelow(0.01, fraction=1.5), "fraction must be in"),
        (lambda: TMCShapley(stop=500), "stop must be a StoppingRule"),
    ],
)
def test_bad_parameters_are_refused(make, message: str) -> None:
    with pytest.raises(ValuationError, match=message):
        make()


def test_a_single_class_subset_is_scored_by_the_configured_scorer() -> None:
    x, y, xt, yt = blobs(10, 8)
    assert 0 < np.mean(yt == y[0]) < 1
    one_class = np.flatnonzero(y == y[0])[:2]
    u = ModelUtility(LogisticRegression(), x, y, xt, yt, scorer="balanced_accuracy")
    # a constant predictor's balanced accuracy is 1 / classes, whatever the class balance
    assert u(one_class) == pytest.approx(0.5)
    assert u.fits == 0
    calls: list[str] = []

    def scorer(model, xs, ys) -> float:  # type: ignore[no-untyped-def]
        calls.append(type(model).__name__)
        return 0.25

    assert ModelUtility(LogisticRegression(), x, y, xt, yt, scorer=scorer)(one_class) == 0.25
    assert calls == ["DummyClassifier"]


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


def test_ray_executor_registers_once_and_puts_shared_arguments_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Against a stand-in with Ray's calls (put, get, remote), recording what is shipped."""
    import sys
    import types

    log: dict[str, list[object]] = {"put": [], "remote": []}

    class Ref:
        def __init__(self, value: object) -> None:
            self.value = value

    def remote(fn):  # type: ignore[no-untyped-def]
        log["remote"].append(fn)

        def run(*args):  # type: ignore[no-untyped-def]
            return Ref(fn(*(a.value if isinstance(a, Ref) else a for a in args)))

        return types.SimpleNamespace(remote=run)

    def put(obj):  # type: ignore[no-untyped-def]
        log["put"].append(obj)
        return Ref(obj)

    fake = types.SimpleNamespace(
        is_initialized=lambda: True,
        available_resources=lambda: {"CPU": 2.0},
        remote=remote,
        put=put,
        get=lambda ref: ref.value,
    )
    monkeypatch.setitem(sys.modules, "ray", fake)
    ex = make_executor("ray")
    game = Additive(W)
    est = TMCShapley(stop=MaxUpdates(6), executor=ex, truncation=0.0, units_per_round=2)
    values = est.fit_game(game).result.values
    np.testing.assert_allclose(values, W, atol=1e-12)
    assert len(log["remote"]) == 1  # one registration for three rounds
    assert sum(x is game for x in log["put"]) == 1  # the game crossed over once

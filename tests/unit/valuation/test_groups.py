"""Members as players: group Shapley against exhaustive enumeration, sums by share."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from syndic.errors import ValuationError
from syndic.valuation import GroupShapley, KNNGame, KNNShapley, MaxUpdates, ModelUtility
from syndic.valuation.groups import (
    GroupGame,
    StratifiedGroupShapley,
    check_groups,
    exact_shapley,
    membership,
    sum_by_group,
)
from syndic.valuation.result import ValuationResult

from .helpers import blobs, brute_shapley

GROUPS = [[0, 1, 2], [3, 4], [5, 6, 7, 8], [9], [10, 11]]


def test_group_shapley_matches_exhaustive_enumeration() -> None:
    x, y, xt, yt = blobs(12, 30, seed=11)
    game = KNNGame(x, y, xt, yt, k=3)
    truth = brute_shapley(
        len(GROUPS), lambda s: game([p for g in s for p in GROUPS[g]]) if s else 0.0
    )
    np.testing.assert_allclose(exact_shapley(GroupGame(game, GROUPS)).values, truth, atol=1e-12)
    est = GroupShapley(stop=MaxUpdates(600), seed=2, executor="serial").fit_groups(game, GROUPS)
    r = est.result
    assert r.method == "group-shapley"
    assert (np.abs(r.values - truth) <= 4.5 * r.stderr + 1e-12).all()
    # efficiency holds exactly on every permutation: the values sum to U(all) - U(none)
    assert r.values.sum() == pytest.approx(game(np.arange(12)), abs=1e-12)


def test_group_shapley_with_any_model() -> None:
    x, y, xt, yt = blobs(12, 30, seed=12)
    u = ModelUtility(LogisticRegression(max_iter=200), x, y, xt, yt)
    truth = exact_shapley(GroupGame(u, GROUPS)).values
    r = GroupShapley(stop=MaxUpdates(120), seed=4, executor="serial").fit_groups(u, GROUPS).result
    assert (np.abs(r.values - truth) <= 4.5 * r.stderr + 1e-12).all()


def test_knn_game_fast_path_equals_direct_evaluation() -> None:
    x, y, xt, yt = blobs(30, 10, seed=5)
    game = KNNGame(x, y, xt, yt, k=4)
    perm = np.random.default_rng(0).permutation(30)
    fast = game.prefix_values(perm)
    assert fast.shape == (30,)
    for i in (0, 2, 3, 10, 29):
        idx = perm[: i + 1]
        d = ((x[idx][None, :, :] - xt[:, None, :]) ** 2).sum(axis=2)
        nearest = np.argsort(d, axis=1, kind="stable")[:, :4]
        expect = (y[idx][nearest] == yt[:, None]).sum() / (len(yt) * 4)
        assert fast[i] == pytest.approx(expect, abs=1e-12)


def test_sum_by_group_weights_by_share() -> None:
    res = ValuationResult.exact("m", np.array([1.0, 2.0, 4.0]))
    shares = membership([[(0, 1.0)], [(0, 0.5), (1, 0.5)], [(1, 1.0)]], 2)
    out = sum_by_group(res, shares)
    np.testing.assert_allclose(out.values, [2.0, 5.0])
    assert not out.stderr.any()
    with pytest.raises(ValuationError, match="rows"):
        sum_by_group(res, membership([[(0, 1.0)]], 1))
    sampled = ValuationResult(
        method="m",
        values=res.values,
        stderr=np.array([0.1, 0.2, 0.0]),
        counts=np.zeros(3, dtype=np.int64),
    )
    with pytest.raises(ValuationError, match="group_weights"):
        sum_by_group(sampled, shares)  # summing variances would ignore the correlation


def test_sums_of_work_values_add_up_to_the_same_total_as_group_shapley() -> None:
    x, y, xt, yt = blobs(12, 20, seed=8)
    per_point = KNNShapley(k=3).fit(x, y, xt, yt).result
    shares = membership([[(g, 1.0)] for g, grp in enumerate(GROUPS) for _ in grp], len(GROUPS))
    order = [p for grp in GROUPS for p in grp]
    sums = sum_by_group(ValuationResult.exact("knn", per_point.values[order]), shares).values
    group = exact_shapley(GroupGame(KNNGame(x, y, xt, yt, k=3), GROUPS)).values
    assert sums.sum() == pytest.approx(group.sum(), abs=1e-12)


def test_empty_groups_and_bad_indices_are_refused() -> None:
    with pytest.raises(ValuationError, match="group 1 is empty"):
        check_groups([[0], []], 3)
    with pytest.raises(ValuationError, match="outside"):
        check_groups([[0, 7]], 3)
    with pytest.raises(ValuationError, match="no groups"):
        check_groups([], 3)
    with pytest.raises(ValuationError, match="too large"):
        exact_shapley(GroupGame(KNNGame(*blobs(20, 3), k=1), [[i] for i in range(20)]))


def test_the_group_knn_game_refuses_a_rank_matrix_over_its_size_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    x, y, xt, yt = blobs(40, 10)
    KNNGame(x, y, xt, yt, k=3)  # 400 cells: fine
    monkeypatch.setattr(KNNGame, "MAX_CELLS", 399)
    with pytest.raises(ValuationError, match="10 test x 40 training points is too large"):
        KNNGame(x, y, xt, yt, k=3)


def test_chain_marginals_fast_path_equals_direct_evaluation() -> None:
    x, y, xt, yt = blobs(12, 25, seed=21)
    game = GroupGame(KNNGame(x, y, xt, yt, k=3), GROUPS)
    chain, players = np.array([3, 0]), np.array([1, 2, 4])
    direct = np.array(
        [[game(np.append(chain[:k], p)) - game(chain[:k]) for k in range(3)] for p in players]
    )
    np.testing.assert_allclose(game.chain_marginals(chain, players), direct, atol=1e-15)
    assert game.chain_marginals(chain, players)[:, 0] == pytest.approx(
        [game(np.array([p])) for p in players]  # position 0: the player alone, exactly
    )


@pytest.mark.parametrize("head", [1, 2, 16])
def test_stratified_group_shapley_is_unbiased_and_reproducible(head: int) -> None:
    x, y, xt, yt = blobs(12, 30, seed=11)
    game = KNNGame(x, y, xt, yt, k=3)
    truth = exact_shapley(GroupGame(game, GROUPS)).values

    def fit(seed: int) -> ValuationResult:
        est = StratifiedGroupShapley(stop=MaxUpdates(300), seed=seed, executor="serial", head=head)
        return est.fit_groups(game, GROUPS).result

    r = fit(2)
    assert r.method == "group-shapley" and r.updates == 300
    assert (np.abs(r.values - truth) <= 4.5 * r.stderr + 1e-12).all()
    assert np.array_equal(fit(2).values, r.values)
    # each round's gap to U(all) - U(none) is spread evenly: the values add up exactly
    assert r.values.sum() == pytest.approx(game(np.arange(12)), abs=1e-12)
    # and the first positions, valued along chains, cut the error at an equal number of rounds
    plain = GroupShapley(stop=MaxUpdates(600), seed=2, executor="serial").fit_groups(game, GROUPS)
    if head > 1:
        assert r.stderr.mean() < plain.result.stderr.mean()


def test_stratified_group_shapley_refuses_a_bad_head() -> None:
    with pytest.raises(ValuationError, match="head"):
        StratifiedGroupShapley(head=0)

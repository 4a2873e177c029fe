"""The valuation methods registry: every registered method runs through ``compute`` on a tiny
pool, cross-fitted: each work's value is the mean of the method's values over the splits where
it trains, recomputed here split by split."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from syndic.errors import ValuationError
from syndic.valuation.corpus import Corpus
from syndic.valuation.crossfit import folds, repeat_seed
from syndic.valuation.engine import RunParams, compute
from syndic.valuation.groups import membership
from syndic.valuation.methods import METHODS, method
from syndic.valuation.methods.base import Task


def _tiny() -> tuple[Corpus, np.ndarray]:
    """Twelve works in three labels, four members (work 1, 5, 9... shared by members 1 and 4)."""
    rng = np.random.default_rng(7)
    n = 12
    centres = np.array([[0, 0, 0, 0], [2, 0, 0, 0], [0, 2, 0, 0]])
    rng.normal(size=(n, 4))  # the recorded run drew one matrix first
    x = rng.normal(size=(n, 4)) + centres[[i % 3 for i in range(n)]]
    holders = [[(1 + i % 3, 10_000)] if i % 4 else [(1, 5_000), (4, 5_000)] for i in range(n)]
    corpus = Corpus.of(
        list(range(1, n + 1)),
        [f"sha256:{i:064x}" for i in range(n)],
        [f"t{i}" for i in range(n)],
        ["a", "b", "c"] * 4,
        holders,
        full_share_bp=10_000,
    )
    return corpus, x


def test_the_registry_is_the_one_list_of_methods() -> None:
    assert set(METHODS) == {"knn-shapley", "tmc-shapley", "banzhaf", "beta-shapley", "loo"}
    for name in METHODS:
        assert callable(method(name).value)
    with pytest.raises(ValuationError, match="unknown method 'magic'; use one of: knn-shapley"):
        method("magic")


@pytest.mark.parametrize("name", list(METHODS))
def test_every_method_is_cross_fitted_over_every_work(name: str) -> None:
    corpus, x = _tiny()
    params = RunParams(
        method=name,
        k=3,
        max_updates=16,
        group_permutations=4,
        executor="serial",
        folds=3,
        repeats=2,
    ).check()
    c = compute(corpus, lambda _seed: x, params)
    # the same splits, valued one by one
    shares = membership(
        [[(m - 1, bp / 10_000) for m, bp in hs] for hs in corpus.holders], 4
    ).tocsc()
    total, count = np.zeros(12), np.zeros(12)
    for r in range(2):
        seed = repeat_seed(0, r)
        fold_of = folds(corpus.labels, k=3, seed=seed)
        for f in range(3):
            te, tr = np.flatnonzero(fold_of == f), np.flatnonzero(fold_of != f)
            y = corpus.labels
            split_params = replace(params, seed=repeat_seed(seed, f))
            task = Task(x[tr], y[tr], x[te], y[te], shares[tr], split_params, lambda _s: None)
            total[tr] += method(name).value(task).works.values
            count[tr] += 1
    assert count.tolist() == [4] * 12  # every work valued R x (K - 1) times
    # the mean over all six splits, 0 where the work is in the test fold
    assert c.works.values.tolist() == pytest.approx((total / 6).tolist(), abs=1e-12)
    assert c.member_ids == [1, 2, 3, 4]
    sums = shares.T @ c.works.values
    assert c.member_sum.values.tolist() == pytest.approx(sums.tolist(), abs=1e-12)
    assert c.summary["splits"] and len(c.summary["splits"]) == 2
    assert np.isfinite(c.works.stderr).all() and (c.works.stderr >= 0).all()
    assert set(c.member_group) == {1, 2, 3, 4}
    assert set(c.explanations) == {1, 2, 3, 4}
    assert all(e["sentence"] for e in c.explanations.values())

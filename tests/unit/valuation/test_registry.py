"""The valuation methods registry: every registered method runs through ``compute`` on a tiny
pool and gives the numbers the engine gave before the registry existed."""

from __future__ import annotations

import numpy as np
import pytest

from syndic.errors import ValuationError
from syndic.valuation.corpus import Corpus, split
from syndic.valuation.engine import RunParams, compute
from syndic.valuation.methods import METHODS, method

# member values (sum over works) and group-Shapley values per member 1..4, recorded from the
# engine as it was before the methods moved into the registry (same seed, same tiny pool)
BEFORE = {
    "banzhaf": ([0.322365, 0.339986, 0.072075, 0.280698], [0.0, 0.166667, 0.166667, 0.0]),
    "beta-shapley": ([0.44013, 0.473053, 0.875868, 0.237176], [0.0, 0.166667, 0.166667, 0.0]),
    "knn-shapley": ([0.155556, 0.211111, 0.127778, 0.061111], [0.144444, 0.166667, 0.1, 0.144444]),
    "loo": ([-0.5, 0.0, 0.0, -0.166667], [0.0, 0.166667, 0.166667, 0.0]),
    "tmc-shapley": ([0.172222, 0.166667, 0.222222, 0.105556], [0.0, 0.166667, 0.166667, 0.0]),
}


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
    assert set(METHODS) == set(BEFORE)
    for name in METHODS:
        assert callable(method(name).value)
    with pytest.raises(ValuationError, match="unknown method 'magic'; use one of: knn-shapley"):
        method("magic")


@pytest.mark.parametrize("name", list(METHODS))
def test_every_method_runs_and_matches_the_engine_before_the_registry(name: str) -> None:
    corpus, x = _tiny()
    params = RunParams(
        method=name,
        k=3,
        max_updates=30,
        group_permutations=10,
        executor="serial",
        test_fraction=0.34,
    ).check()
    train, test = split(corpus.labels, test_fraction=params.test_fraction, seed=params.seed)
    c = compute(corpus, x, train, test, params)
    sums, groups = BEFORE[name]
    assert c.member_ids == [1, 2, 3, 4]
    assert c.member_sum.values.tolist() == pytest.approx(sums, abs=1e-6)
    assert [c.member_group[m][0] for m in c.member_ids] == pytest.approx(groups, abs=1e-6)
    assert np.isfinite(c.works.values).all() and len(c.works) == train.size
    assert set(c.explanations) == {1, 2, 3, 4}
    assert all(e["sentence"] for e in c.explanations.values())
    exact = name == "knn-shapley"
    basis = "test labels" if exact else "labels of the member's own works"
    assert {e["per_label_basis"] for e in c.explanations.values()} == {basis}

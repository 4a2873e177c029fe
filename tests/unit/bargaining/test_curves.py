"""The ``knn`` family's neighbours, read off one nearest-neighbour list per evaluation row (or
searched by brute force for a small training set), score exactly as scikit-learn's
``KNeighborsClassifier(algorithm="brute")`` fitted on the training set alone."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier

from syndic.bargaining.curves import Nearest, Unit, _score, nearest, probabilities


@pytest.mark.parametrize("size", [3, 40, 400, 1500, 2600])
def test_knn_scores_as_scikit_learn_does(size: int) -> None:
    rng = np.random.default_rng(size)
    n, dims, classes = 3000, 12, 4
    y = rng.integers(0, classes, n)
    x = rng.normal(size=(classes, dims))[y] + 1.5 * rng.normal(size=(n, dims))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    evaluate = np.sort(rng.choice(n, 300, replace=False))
    pool = np.setdiff1d(np.arange(n), evaluate)
    train = np.sort(rng.choice(pool, min(size, pool.size), replace=False))
    # a short list (128 of 2,700 rows), so that larger sets read it and some rows fall back
    near = Nearest(nearest(x, evaluate, pool, 128).astype(np.int32))
    model = KNeighborsClassifier(n_neighbors=min(10, train.size), algorithm="brute")
    p = probabilities(model.fit(x[train], y[train]), x[evaluate], classes)
    want_loss = -np.log(p[np.arange(evaluate.size), y[evaluate]])
    for listed in (None, near):
        got = _score(Unit(x, y, train, evaluate, "knn", 10, classes, listed))
        assert np.array_equal(got.correct, p.argmax(1) == y[evaluate])
        assert np.array_equal(got.loss, want_loss)

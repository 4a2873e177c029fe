"""Learning-curve points: train one model family on one index set, score it on the evaluation
set. Module-level functions, so any valuation executor (serial, process pool, Ray) can run them.

Each family is a plain scikit-learn estimator with the settings written here, so the other
side can refit it from the exported files (``export.py`` writes them in its README):

- ``linear``: ``LogisticRegression(C=10, max_iter=2000)`` on the features;
- ``knn``: ``KNeighborsClassifier(n_neighbors=min(k, n), algorithm="brute")`` on the same,
  computed here without the estimator (see ``Nearest``): the same neighbours, found faster.

Probabilities are taken over every class of the task (a class missing from a small training
set gets 0) and mixed with the uniform distribution, ``(1 - EPSILON) * p + EPSILON / C``, so a
log loss is finite when a model is certain and wrong (KNN often is).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

EPSILON = 1e-3
LINEAR_C = 10.0
LINEAR_MAX_ITER = 2000


def _linear(_k: int, _n: int) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=LINEAR_C, max_iter=LINEAR_MAX_ITER)


def _knn(k: int, n: int) -> Any:
    from sklearn.neighbors import KNeighborsClassifier

    return KNeighborsClassifier(n_neighbors=max(1, min(k, n)), algorithm="brute")


# family name -> build the (unfitted) model from the neighbour count and the training size
FAMILIES: dict[str, Callable[[int, int], Any]] = {"linear": _linear, "knn": _knn}


@dataclass(frozen=True)
class Scored:
    """One fitted model scored on the evaluation set: per-example correctness and loss."""

    correct: NDArray[np.bool_]
    loss: NDArray[np.float64]

    @property
    def accuracy(self) -> float:
        return float(self.correct.mean())

    @property
    def log_loss(self) -> float:
        return float(self.loss.mean())


def probabilities(model: Any, x: NDArray[np.float64], n_classes: int) -> NDArray[np.float64]:
    """``model``'s probabilities over all ``n_classes`` codes, mixed with the uniform."""
    p = np.zeros((x.shape[0], n_classes), dtype=np.float64)
    p[:, np.asarray(model.classes_, dtype=np.int64)] = model.predict_proba(x)
    return np.asarray((1 - EPSILON) * p + EPSILON / n_classes, dtype=np.float64)


# how many nearest training rows ``nearest`` keeps per evaluation row
NEAREST = 1024


def _k_nearest(
    xe: NDArray[np.float64], x: NDArray[np.float64], rows: NDArray[np.int64], k: int
) -> NDArray[np.int64]:
    """Of ``rows`` of ``x``, the ``k`` nearest to each row of ``xe``, nearest first: the
    brute-force search ``KNeighborsClassifier(algorithm="brute")`` makes."""
    from sklearn.neighbors import NearestNeighbors

    found = NearestNeighbors(n_neighbors=k, algorithm="brute").fit(x[rows])
    return np.asarray(rows[found.kneighbors(xe, return_distance=False)], dtype=np.int64)


def nearest(
    x: NDArray[np.float64], evaluate: NDArray[np.int64], rows: NDArray[np.int64], m: int
) -> NDArray[np.int64]:
    """For each row of ``evaluate``, its ``m`` nearest among ``rows`` of ``x``, nearest first:
    one brute-force query over every training row, run once per run (in chunks through the
    executor), from which every training set's neighbours are read (``Nearest``)."""
    return _k_nearest(x[evaluate], x, rows, min(m, rows.size))


@dataclass(frozen=True)
class Nearest:
    """Each evaluation row's nearest training rows over the union of every training set,
    nearest first. The ``k`` nearest within a training set are the first ``k`` of the list
    that belong to it, whenever the list holds ``k`` of them; an evaluation row whose list
    does not (a small training set) is searched by brute force. The neighbours are those of
    scikit-learn's brute search on the training set alone (up to exact ties in distance)."""

    order: NDArray[np.int32]  # (evaluation rows, m) row indices of x

    def k_nearest(
        self, x: NDArray[np.float64], evaluate: NDArray[np.int64], train: NDArray[np.int64], k: int
    ) -> NDArray[np.int64]:
        member = np.zeros(x.shape[0], dtype=bool)
        member[train] = True
        hit = member[self.order]
        seen = np.cumsum(hit, axis=1)
        enough = seen[:, -1] >= k
        out = np.empty((evaluate.size, k), dtype=np.int64)
        take = hit & (seen <= k) & enough[:, None]
        out[enough] = self.order[take].reshape(-1, k)
        short = np.flatnonzero(~enough)
        if short.size:
            out[short] = _k_nearest(x[evaluate[short]], x, train, k)
        return out


def knn_probabilities(unit: Unit) -> NDArray[np.float64]:
    """What ``KNeighborsClassifier(n_neighbors=min(k, n), algorithm="brute")`` fitted on the
    unit's training rows gives as ``predict_proba`` for its evaluation rows (each class's
    share of the neighbours), over all its classes. A training set much smaller than the
    union the ``near`` list was drawn from is searched by brute force outright (its list
    would rarely hold ``k``)."""
    x, y, train, evaluate = unit.x, unit.y, unit.train, unit.evaluate
    k, n_classes, near = unit.k, unit.n_classes, unit.near
    kk = max(1, min(k, train.size))
    if near is not None and train.size * near.order.shape[1] >= 4 * kk * x.shape[0]:
        idx = near.k_nearest(x, evaluate, train, kk)
    else:
        idx = _k_nearest(x[evaluate], x, train, kk)
    cells = (np.arange(evaluate.size)[:, None] * n_classes + y[idx]).ravel()
    counts = np.bincount(cells, minlength=evaluate.size * n_classes)
    return np.asarray(counts.reshape(evaluate.size, n_classes) / kk, dtype=np.float64)


@dataclass(frozen=True)
class Unit:
    """One point to measure: fit ``family`` on rows ``train`` of ``x``, score on ``evaluate``
    (``near``: the evaluation rows' nearest training rows, for ``knn``)."""

    x: NDArray[np.float64]
    y: NDArray[np.int64]
    train: NDArray[np.int64]
    evaluate: NDArray[np.int64]
    family: str
    k: int
    n_classes: int
    near: Nearest | None = None


def score(unit: Unit) -> Scored:
    """Fit and score one unit, on one BLAS thread: the executor runs units side by side, and
    BLAS threads on top of that oversubscribe the cores (a loaded 2-core machine ran a
    logistic regression 17x slower with them). A training set with one class predicts that
    class (no estimator fits on one class)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _score(unit)


def _score(unit: Unit) -> Scored:
    x, y, train, evaluate = unit.x, unit.y, unit.train, unit.evaluate
    family, k, n_classes = unit.family, unit.k, unit.n_classes
    ytr = y[train]
    xe, ye = x[evaluate], y[evaluate]
    if np.unique(ytr).size < 2:
        p = np.full((evaluate.size, n_classes), EPSILON / n_classes)
        p[:, int(ytr[0])] += 1 - EPSILON
    elif family == "knn":
        p = knn_probabilities(unit)
        p = (1 - EPSILON) * p + EPSILON / n_classes
    else:
        model = FAMILIES[family](k, train.size)
        model.fit(x[train], ytr)
        p = probabilities(model, xe, n_classes)
    rows = np.arange(evaluate.size)
    return Scored(
        correct=np.asarray(p.argmax(axis=1) == ye),
        loss=np.asarray(-np.log(p[rows, ye]), dtype=np.float64),
    )

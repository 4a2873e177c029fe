"""Learning-curve points: train one model family on one index set, score it on the evaluation
set. Module-level functions, so any valuation executor (serial, process pool, Ray) can run them.

Each family is a plain scikit-learn estimator with the settings written here, so the other
side can refit it from the exported files (``export.py`` writes them in its README):

- ``linear``: ``LogisticRegression(C=10, max_iter=2000)`` on the features;
- ``knn``: ``KNeighborsClassifier(n_neighbors=min(k, n), algorithm="brute")`` on the same.

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


@dataclass(frozen=True)
class Unit:
    """One point to measure: fit ``family`` on rows ``train`` of ``x``, score on ``evaluate``."""

    x: NDArray[np.float64]
    y: NDArray[np.int64]
    train: NDArray[np.int64]
    evaluate: NDArray[np.int64]
    family: str
    k: int
    n_classes: int


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
    else:
        model = FAMILIES[family](k, train.size)
        model.fit(x[train], ytr)
        p = probabilities(model, xe, n_classes)
    rows = np.arange(evaluate.size)
    return Scored(
        correct=np.asarray(p.argmax(axis=1) == ye),
        loss=np.asarray(-np.log(p[rows, ye]), dtype=np.float64),
    )

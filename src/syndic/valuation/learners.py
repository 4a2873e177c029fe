"""The models that sampled methods value data for, by name. scikit-learn loads when one is
built, not when the names are read (the CLI lists them on every call)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _knn(k: int) -> Any:
    from sklearn.neighbors import KNeighborsClassifier

    return KNeighborsClassifier(n_neighbors=k)


def _logistic(_k: int) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=1000)


# name -> build the (unfitted) model, given the run's neighbour count k
LEARNERS: dict[str, Callable[[int], Any]] = {"knn": _knn, "logistic": _logistic}

"""``ModelUtility``: the score of a model trained on a subset of the training data.

Any scikit-learn-style model works (``fit``, ``predict`` / ``score``); the scorer is the model's
own ``score`` by default, a scikit-learn scorer name (``"accuracy"``, ``"neg_mean_squared_error"``)
or a callable ``scorer(model, X, y) -> float``. The empty set scores ``empty_score``. A
classifier cannot be trained on a subset with a single class; such a subset is scored by the
same scorer applied to the constant predictor of that class (scikit-learn's
``DummyClassifier``, knowing every class of the training set), which is what a classifier
trained on it would predict.

Each fit and score runs with one BLAS/OpenMP thread, as the KNN kernels do: the executors
already run one work unit per core, and a fit that also spreads over every core oversubscribes
a loaded machine (an order of magnitude slower). The thread limits are set through one
``threadpoolctl`` controller per process, built on first use (building one scans the loaded
libraries, milliseconds; applying it costs microseconds).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from syndic.errors import ValuationError
from syndic.valuation import checks

if TYPE_CHECKING:
    from threadpoolctl import ThreadpoolController

Scorer = Callable[[Any, Any, Any], float]


def _scorer(scorer: str | Scorer | None) -> Scorer | None:
    if scorer is None or callable(scorer):
        return scorer
    from sklearn.metrics import get_scorer

    try:
        s: Scorer = get_scorer(scorer)
    except ValueError as exc:
        raise ValuationError(f"unknown scorer {scorer!r}") from exc
    return s


@functools.cache
def _threads() -> ThreadpoolController:
    """This process's thread-pool controller (numpy, scipy and scikit-learn are loaded by the
    time a utility is called, so their BLAS and OpenMP pools are in it)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


class ModelUtility:
    """U(S): train a fresh clone of ``model`` on the points ``S`` and score it on the test set."""

    def __init__(
        self,
        model: Any,
        x_train: Any,
        y_train: Any,
        x_test: Any,
        y_test: Any,
        *,
        scorer: str | Scorer | None = None,
        empty_score: float = 0.0,
    ) -> None:
        if not (hasattr(model, "fit") and hasattr(model, "get_params")):
            raise ValuationError("model must be a scikit-learn-style estimator (fit, get_params)")
        # scikit-learn loads with the first utility, not with the package
        from sklearn.base import clone, is_classifier

        self._clone = clone
        self.classification = bool(is_classifier(model))
        self.x_train, self.y_train, self.x_test, self.y_test = checks.train_test(
            x_train, y_train, x_test, y_test, classification=self.classification
        )
        self.model = model
        self.scorer = _scorer(scorer)
        self.empty_score = float(empty_score)
        self.n = int(self.x_train.shape[0])
        self.fits = 0  # how many models this instance trained (for overhead accounting)

    def __call__(self, subset: Sequence[int] | NDArray[np.integer[Any]]) -> float:
        idx = np.asarray(subset, dtype=np.int64)
        if idx.size == 0:
            return self.empty_score
        y = self.y_train[idx]
        if self.classification and np.unique(y).size < 2:
            return self._score(self._constant(y[0]))
        model = self._clone(self.model)
        k = model.get_params().get("n_neighbors")
        if isinstance(k, int) and k > idx.size:
            model.set_params(n_neighbors=int(idx.size))  # KNN on fewer points than K
        with _threads().limit(limits=1):
            model.fit(self.x_train[idx], y)
            self.fits += 1
            return self._score(model)

    def _constant(self, label: Any) -> Any:
        """The constant predictor of ``label``, fitted so that it knows every training class
        (scorers that read probabilities see one column per class)."""
        from sklearn.dummy import DummyClassifier

        classes = np.unique(self.y_train)
        x = np.zeros((classes.size, self.x_train.shape[1]))
        return DummyClassifier(strategy="constant", constant=label).fit(x, classes)

    def _score(self, model: Any) -> float:
        if self.scorer is None:
            return float(model.score(self.x_test, self.y_test))
        return float(self.scorer(model, self.x_test, self.y_test))

    def full(self) -> float:
        return self(np.arange(self.n))

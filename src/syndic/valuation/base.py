"""What every estimator shares: ``fit(...) -> self``, then ``.result``.

``Estimator`` holds the result; ``ModelEstimator`` adds what the estimators that train a model
on subsets share (the model, the scorer, where utilities are evaluated, progress) and turns
``fit(X_train, y_train, X_test, y_test)`` into ``fit_game(ModelUtility(...))``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, Self

import numpy as np
from numpy.typing import NDArray

from syndic.errors import ValuationError
from syndic.valuation.executors import Executor, make_executor
from syndic.valuation.result import ValuationResult
from syndic.valuation.utility import ModelUtility, Scorer

# done, total (None when unknown)
Progress = Callable[[int, int | None], None]


class Game(Protocol):
    """A cooperative game over players 0..n-1: the utility of a coalition (player indices)."""

    n: int

    def __call__(self, subset: Sequence[int] | NDArray[np.integer[Any]]) -> float: ...


class Estimator:
    method = "estimator"

    def __init__(self) -> None:
        self._result: ValuationResult | None = None

    @property
    def result(self) -> ValuationResult:
        if self._result is None:
            raise ValuationError("call fit() before reading the result")
        return self._result


class ModelEstimator(Estimator):
    """An estimator of the value of training points to ``model`` (scored by ``scorer``)."""

    def __init__(
        self,
        model: Any = None,
        *,
        scorer: str | Scorer | None = None,
        executor: Executor | str = "process",
        workers: int | None = None,
        progress: Progress | None = None,
    ) -> None:
        super().__init__()
        self.model = model
        self.scorer = scorer
        self.executor = make_executor(executor, workers) if isinstance(executor, str) else executor
        self.progress = progress

    def utility(self, x_train: Any, y_train: Any, x_test: Any, y_test: Any) -> ModelUtility:
        if self.model is None:
            raise ValuationError(f"{type(self).__name__} needs a model to value data for")
        return ModelUtility(self.model, x_train, y_train, x_test, y_test, scorer=self.scorer)

    def fit(self, x_train: Any, y_train: Any, x_test: Any, y_test: Any) -> Self:
        return self.fit_game(self.utility(x_train, y_train, x_test, y_test))

    def fit_game(self, game: Game) -> Self:
        raise NotImplementedError

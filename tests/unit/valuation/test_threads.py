"""Model fits run with one BLAS/OpenMP thread, whatever the process allows outside them."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.neighbors import KNeighborsClassifier
from threadpoolctl import threadpool_info, threadpool_limits

from syndic.valuation import ModelUtility, TMCShapley
from syndic.valuation.executors import SerialExecutor
from syndic.valuation.stopping import MaxUpdates

from .helpers import blobs


def _threads() -> list[int]:
    return [int(p["num_threads"]) for p in threadpool_info()]


class ThreadRecordingKNN(KNeighborsClassifier):
    """A KNN classifier that notes the thread pools' sizes while it is being fitted."""

    seen: ClassVar[list[list[int]]] = []

    def fit(self, X: Any, y: Any) -> Any:
        ThreadRecordingKNN.seen.append(_threads())
        return super().fit(X, y)


def test_model_fits_use_one_thread_while_the_process_allows_more() -> None:
    x, y, xt, yt = blobs(n=24, n_test=12, seed=3)
    ThreadRecordingKNN.seen.clear()
    with threadpool_limits(limits=2):
        assert max(_threads()) == 2  # the limit is really lifted outside the fits
        u = ModelUtility(ThreadRecordingKNN(n_neighbors=3), x, y, xt, yt)
        u(np.arange(10))
        TMCShapley(
            ThreadRecordingKNN(n_neighbors=3), stop=MaxUpdates(2), executor=SerialExecutor()
        ).fit(x, y, xt, yt)
        assert max(_threads()) == 2  # and restored after them
    assert len(ThreadRecordingKNN.seen) > 2
    assert all(max(seen) == 1 for seen in ThreadRecordingKNN.seen), ThreadRecordingKNN.seen

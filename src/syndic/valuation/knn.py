"""Exact KNN-Shapley (Jia et al. 2019), vectorised and batched over test points.

For one test point, sort the training points from nearest to farthest (ranks i = 1..N) and let
m_i be the score of the i-th nearest (1 if its label matches, for classification). Jia et al.'s
recursion, s_N = m_N / N and s_i = s_{i+1} + (m_i - m_{i+1}) / max(K, i), unrolls to

    s_i = m_i / max(i, K) - T_{max(i, K)},    T_i = sum_{j > i} m_j / (j (j - 1)),

so one reverse cumulative sum per test point gives every value at once. A point's value is
the mean of s over the test points. The recursion only uses that the utility (the mean score
of the K nearest) is linear in per-neighbour scores, so the same code serves any utility of
the form U(S) = (1/K) * sum over the K nearest in S of m_i.

``KNNRegressionShapley`` uses that with m_i = -(y_i - y_test)^2: the utility is minus the mean
of the K nearest neighbours' squared errors, each neighbour's target taken as a prediction on
its own (the per-neighbour construction of the soft-label KNN utility, applied to squared
error). This is our choice, not Jia et al.'s regression utility, which is minus the squared
error of the neighbours' mean, -((1/K) * sum y_i - y_test)^2, and needs a different recursion
(their Theorem 2). The two are equal only when the K nearest targets agree; ours rewards a
neighbour for being close to the target by itself, theirs also for cancelling its neighbours'
errors.

Ordering is by (distance, index), so ties break the same way on every machine. Sorting
dominates the cost; keys are packed as ``distance bits << b | index`` in one uint64 and sorted
(faster than ``argsort``) by a compiled radix sort when the ``fast`` extra is installed, else
by ``np.sort``: the same bits either way (fastsort.py). In float64 mode the distance loses its
low b bits in the key, so runs of adjacent keys that tie on the truncated distance are put in
exact (distance, index) order afterwards (they are rare and short). Float32 mode computes
distances in float64 (so there is no cancellation in |a|^2 - 2ab + |b|^2), rounds them to
float32 for the key (all 32 bits kept, above the index bits) and runs the recursion in
float32; distances that round to the same float32 are ordered by index, which is where its
(measured, documented) error comes from.

Results are the same bits whatever the number of threads: test points are cut into batches
whose size depends only on N and a fixed per-batch memory budget, each batch's sums are added
in batch order, and BLAS runs single-threaded inside a fit. The threads share one memory
budget: at most ``MEMORY_BUDGET // BATCH_BYTES`` batches are in flight at once.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Literal, Self

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from syndic.errors import ValuationError
from syndic.valuation import checks
from syndic.valuation.base import Estimator
from syndic.valuation.fastsort import sort_rows
from syndic.valuation.result import FloatArray, ValuationResult

Precision = Literal["float64", "float32"]
# precision name -> the dtype sort keys are rounded to
DTYPES: dict[str, type[np.floating[Any]]] = {"float64": np.float64, "float32": np.float32}
# Per-test-point scores of the sorted training labels: (labels in rank order, test labels).
Score = Callable[[NDArray[Any], NDArray[Any]], NDArray[Any]]
Floats = NDArray[np.floating[Any]]
ROW_BYTES = 80  # working memory per (test point, training point) cell, both precisions
BATCH_BYTES = 64 * 2**20  # one batch of test points; fixes the batches from N alone
MEMORY_BUDGET = 512 * 2**20  # all threads together: at most 8 full batches in flight
MAX_BATCH_ROWS = 512


def _match(sorted_labels: NDArray[Any], test_labels: NDArray[Any]) -> NDArray[Any]:
    out: NDArray[Any] = sorted_labels == test_labels[:, None]
    return out


def _neg_squared_error(sorted_targets: NDArray[Any], test_targets: NDArray[Any]) -> NDArray[Any]:
    diff: NDArray[Any] = sorted_targets - test_targets[:, None]
    out: NDArray[Any] = -(diff * diff)
    return out


def batch_rows(n_train: int) -> int:
    """Test points per batch: from N and the fixed per-batch budget only (never the threads)."""
    return max(1, min(MAX_BATCH_ROWS, BATCH_BYTES // (ROW_BYTES * max(1, n_train))))


def in_flight(n_train: int, threads: int) -> int:
    """How many batches may be in flight at once so that all threads stay within the budget."""
    per_batch = batch_rows(n_train) * ROW_BYTES * max(1, n_train)
    return max(1, min(threads, MEMORY_BUDGET // per_batch))


class _Kernel:
    """The shared, read-only state of one run; ``rows`` values a slice of test points."""

    def __init__(
        self,
        x_train: NDArray[Any],
        y_train: NDArray[Any],
        x_test: NDArray[Any],
        y_test: NDArray[Any],
        *,
        k: int,
        precision: Precision,
        score: Score,
    ) -> None:
        # distances are always computed in float64; float32 mode only rounds them for the key
        self.x_train: FloatArray = np.ascontiguousarray(x_train, dtype=np.float64)
        self.x_test: FloatArray = np.ascontiguousarray(x_test, dtype=np.float64)
        self.train_sq = np.einsum("ij,ij->i", self.x_train, self.x_train)
        self.dtype = DTYPES[precision]
        self.y_train = y_train
        self.y_test = y_test
        self.k = k
        self.score = score
        n = self.n = x_train.shape[0]
        self.index_bits = max(1, int(n - 1).bit_length())
        rank = np.arange(1, n + 1, dtype=np.float64)
        self.inv: Floats = (1.0 / np.maximum(rank, k)).astype(self.dtype)
        w = np.zeros(n, dtype=np.float64)
        w[1:] = 1.0 / (rank[1:] * rank[:-1])
        self.w: Floats = w.astype(self.dtype)

    def distances(self, rows: slice) -> FloatArray:
        xt = self.x_test[rows]
        d = xt @ self.x_train.T
        d *= -2
        d += self.train_sq[None, :]
        d += np.einsum("ij,ij->i", xt, xt)[:, None]
        np.maximum(d, 0, out=d)
        d += 0  # turns -0.0 into +0.0 so the bit patterns order like the numbers
        return d

    def order(self, d: FloatArray) -> NDArray[np.integer[Any]]:
        """Training indices by (distance, index) for each row of ``d``."""
        n = d.shape[1]
        b = np.uint64(self.index_bits)
        low = (np.uint64(1) << b) - np.uint64(1)
        if self.dtype == np.float32:
            # all 32 bits of the float32 distance above the index: exact (distance, index) order,
            # and the key's unused high bits cost the radix sort no pass
            keys = d.astype(np.float32).view(np.uint32).astype(np.uint64)
            keys <<= b
            keys |= np.arange(n, dtype=np.uint64)
            sort_rows(keys)
            keys &= low
            return keys
        keys = d.view(np.uint64) & ~low
        keys |= np.arange(n, dtype=np.uint64)
        sort_rows(keys)
        order = keys & low
        ties = (keys[:, 1:] ^ keys[:, :-1]) <= low  # equal once the low bits are dropped
        for r in np.flatnonzero(ties.any(axis=1)):
            _exact_runs(order[r], d[r], np.flatnonzero(ties[r]))
        return order

    def sorted_values(self, rows: slice) -> tuple[NDArray[np.integer[Any]], Floats]:
        """(order, s): s[t, i] is the value of training point order[t, i] for test point t."""
        order = self.order(self.distances(rows))
        m: Floats = self.score(self.y_train[order], self.y_test[rows]).astype(self.dtype)
        tail = m * self.w
        np.cumsum(tail[:, ::-1], axis=1, out=tail[:, ::-1])  # tail[:, r] = sum_{j >= r}
        s = m * self.inv
        k, n = self.k, self.n
        s[:, k - 1 : n - 1] -= tail[:, k:n]
        if k < n:
            s[:, : k - 1] -= tail[:, k : k + 1]
        return order, s

    def row_batches(self) -> list[slice]:
        per = batch_rows(self.n)
        n_test = self.x_test.shape[0]
        return [slice(i, min(i + per, n_test)) for i in range(0, n_test, per)]

    def batch_sum(self, rows: slice) -> FloatArray:
        order, s = self.sorted_values(rows)
        sums = np.bincount(order.ravel(), weights=s.ravel(), minlength=self.n)
        return np.asarray(sums, dtype=np.float64)

    def batch_rows(self, rows: slice) -> NDArray[Any]:
        """Values per test point in training-index order: shape (len(rows), N)."""
        order, s = self.sorted_values(rows)
        out = np.empty_like(s)
        np.put_along_axis(out, order, s, axis=1)
        return out


def _exact_runs(order: NDArray[Any], d: FloatArray, ties: NDArray[np.intp]) -> None:
    """Put each run of tied keys (``ties[j]``: positions j and j+1 tie) in exact (distance,
    index) order, in place."""
    start = prev = int(ties[0])
    for j in (*ties[1:].tolist(), None):
        if j is not None and j == prev + 1:
            prev = j
            continue
        run = order[start : prev + 2]
        order[start : prev + 2] = run[np.lexsort((run, d[run]))]
        if j is not None:
            start = prev = j


def _threads(n_threads: int | None) -> int:
    if n_threads is None:
        return max(1, os.cpu_count() or 1)
    if isinstance(n_threads, bool) or not isinstance(n_threads, int) or n_threads < 1:
        raise ValuationError(f"n_threads must be a positive integer, got {n_threads!r}")
    return n_threads


class _KNNBase(Estimator):
    method = "knn-shapley"
    score: Score = staticmethod(_match)
    classification = True

    def __init__(
        self,
        k: int = 5,
        *,
        precision: Precision = "float64",
        n_threads: int | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        super().__init__()
        if precision not in ("float64", "float32"):
            raise ValuationError(f"precision must be float64 or float32, got {precision!r}")
        self.k = k
        self.precision: Precision = precision
        self.n_threads = _threads(n_threads)
        self.progress = progress
        self._kernel: _Kernel | None = None

    def _prepare(self, x_train: Any, y_train: Any, x_test: Any, y_test: Any) -> _Kernel:
        xt, yt, xs, ys = checks.train_test(
            _dense(x_train), y_train, _dense(x_test), y_test, classification=self.classification
        )
        k = checks.neighbours(self.k, xt.shape[0])
        if not self.classification:
            yt, ys = yt.astype(np.float64), ys.astype(np.float64)
        return _Kernel(xt, yt, xs, ys, k=k, precision=self.precision, score=type(self).score)

    def fit(self, x_train: Any, y_train: Any, x_test: Any, y_test: Any) -> Self:
        kernel = self._kernel = self._prepare(x_train, y_train, x_test, y_test)
        batches = kernel.row_batches()
        total = np.zeros(kernel.n, dtype=np.float64)
        done = 0
        threads = in_flight(kernel.n, self.n_threads)
        for part, rows in zip(_run(kernel.batch_sum, batches, threads), batches, strict=True):
            total += part  # in batch order, so the sum is the same bits on every run
            done += rows.stop - rows.start
            if self.progress:
                self.progress(done, kernel.x_test.shape[0])
        total /= kernel.x_test.shape[0]
        self._result = ValuationResult.exact(
            self.method, total, k=kernel.k, precision=self.precision
        )
        return self

    def per_test(self) -> Iterator[tuple[slice, NDArray[Any]]]:
        """After ``fit``: each test batch's values per (test point, training point)."""
        if self._kernel is None:
            raise ValuationError("call fit() before asking for per-test values")
        kernel = self._kernel
        batches = kernel.row_batches()
        threads = in_flight(kernel.n, self.n_threads)
        yield from zip(batches, _run(kernel.batch_rows, batches, threads), strict=True)


def _dense(x: Any) -> Any:
    return x.toarray() if hasattr(x, "toarray") else x


def _run(
    fn: Callable[[slice], NDArray[Any]], batches: list[slice], threads: int
) -> Iterator[NDArray[Any]]:
    """Map ``fn`` over batches, yielding results in batch order with at most ``threads``
    batches in flight. numpy's sort and BLAS release the GIL, so threads use every core; BLAS
    is held to one thread, so the two never oversubscribe and a matrix product gives the same
    bits whatever the machine's core count."""
    with threadpool_limits(limits=1):
        if threads == 1 or len(batches) == 1:
            yield from map(fn, batches)
            return
        with ThreadPoolExecutor(max_workers=threads) as ex:
            pending: deque[Future[NDArray[Any]]] = deque()
            todo = iter(batches)
            for rows in todo:
                pending.append(ex.submit(fn, rows))
                if len(pending) == threads:
                    break
            while pending:
                result = pending.popleft().result()
                nxt = next(todo, None)
                if nxt is not None:
                    pending.append(ex.submit(fn, nxt))
                yield result


class KNNShapley(_KNNBase):
    """Exact Shapley values of training points for a K-nearest-neighbour classifier.

    ``KNNShapley(k=5).fit(X_train, y_train, X_test, y_test).result.values``; the utility is the
    classifier's (soft) accuracy on the test points, as in Jia et al. (2019).
    """


class KNNRegressionShapley(_KNNBase):
    """Exact Shapley values for K-nearest-neighbour regression under the per-neighbour utility
    U(S) = -(1/K) * sum over the K nearest in S of (y_i - y_test)^2 (see the module docstring:
    not Jia et al.'s regression utility, which squares the error of the neighbours' mean)."""

    method = "knn-regression-shapley"
    score: Score = staticmethod(_neg_squared_error)
    classification = False


def rank_matrix(x_train: Any, x_test: Any) -> NDArray[np.int64]:
    """For each test point, training indices from nearest to farthest by (distance, index)."""
    xt, xs = _dense(x_train), _dense(x_test)
    kernel = _Kernel(
        np.asarray(xt),
        np.zeros(xt.shape[0]),
        np.asarray(xs),
        np.zeros(xs.shape[0]),
        k=1,
        precision="float64",
        score=_match,
    )
    with threadpool_limits(limits=1):
        return np.concatenate(
            [kernel.order(kernel.distances(rows)) for rows in kernel.row_batches()], axis=0
        ).astype(np.int64)

"""Exact KNN-Shapley against the paper's recursion and against the definition."""

from __future__ import annotations

import numpy as np
import pytest

from syndic.errors import ValuationError
from syndic.valuation import KNNRegressionShapley, KNNShapley
from syndic.valuation.knn import rank_matrix

from .helpers import blobs, brute_shapley, jia_recursion, knn_soft_utility


@pytest.mark.parametrize(("n", "k", "classes"), [(60, 3, 2), (250, 5, 4), (9, 9, 3)])
@pytest.mark.parametrize("threads", [1, 2])
def test_matches_the_recursion_in_float64(n: int, k: int, classes: int, threads: int) -> None:
    x, y, xt, yt = blobs(n, 25, classes=classes, seed=n)
    got = KNNShapley(k=k, n_threads=threads).fit(x, y, xt, yt).result
    assert got.values.dtype == np.float64
    np.testing.assert_allclose(got.values, jia_recursion(x, y, xt, yt, k), atol=1e-12, rtol=0)
    assert not got.stderr.any()


def test_float32_mode_is_close() -> None:
    x, y, xt, yt = blobs(400, 40, classes=3)
    exact = jia_recursion(x, y, xt, yt, 5)
    fast = KNNShapley(k=5, precision="float32").fit(x, y, xt, yt).result.values
    assert fast.dtype == np.float64
    assert np.abs(fast - exact).max() < 1e-6


def test_equals_shapley_by_definition_and_is_efficient() -> None:
    x, y, xt, yt = blobs(7, 1, classes=2, seed=3)
    u = knn_soft_utility(x, y, xt[0], yt[0], 3, lambda a, b: float(a == b))
    got = KNNShapley(k=3).fit(x, y, xt, yt).result.values
    np.testing.assert_allclose(got, brute_shapley(7, u), atol=1e-12)
    assert got.sum() == pytest.approx(u(list(range(7))) - u([]))


def test_regression_variant_equals_shapley_by_definition() -> None:
    rng = np.random.default_rng(5)
    x, xt = rng.normal(size=(7, 2)), rng.normal(size=(1, 2))
    y, yt = rng.normal(size=7), rng.normal(size=1)
    u = knn_soft_utility(x, y, xt[0], yt[0], 3, lambda a, b: -((a - b) ** 2))
    got = KNNRegressionShapley(k=3).fit(x, y, xt, yt).result.values
    np.testing.assert_allclose(got, brute_shapley(7, u), atol=1e-12)


def test_regression_targets_must_be_numbers() -> None:
    x, _, xt, _ = blobs(10, 3)
    with pytest.raises(ValuationError, match="regression targets must be numbers"):
        KNNRegressionShapley(k=2).fit(x, np.array(["a"] * 10), xt, np.zeros(3))
    with pytest.raises(ValuationError, match="regression targets must be numbers"):
        KNNRegressionShapley(k=2).fit(x, np.zeros(10), xt, np.array(["a", "b", "c"]))


def test_ties_break_by_index_the_same_way_every_time() -> None:
    # duplicates: five copies of each of two points, alternating labels
    x = np.repeat([[0.0, 0.0], [1.0, 1.0]], 5, axis=0)
    y = np.arange(10) % 2
    xt, yt = np.zeros((1, 2)), np.array([1])
    a = KNNShapley(k=3).fit(x, y, xt, yt).result.values
    np.testing.assert_allclose(a, jia_recursion(x, y, xt, yt, 3), atol=1e-15)
    order = rank_matrix(x, xt)[0]
    assert list(order) == list(range(10))


def test_near_ties_within_the_key_truncation_are_ordered_exactly() -> None:
    # distances that differ below the bits the packed sort key drops
    x = np.array([[1.0 + 3e-13], [1.0 + 1e-13], [1.0 + 2e-13], [5.0], [6.0]])
    order = rank_matrix(x, np.zeros((1, 1)))[0]
    assert list(order) == [1, 2, 0, 3, 4]


def test_labels_may_be_strings() -> None:
    x, y, xt, yt = blobs(50, 10, classes=2)
    names = np.array(["astro", "bio"])
    a = KNNShapley(k=3).fit(x, names[y], xt, names[yt]).result.values
    b = KNNShapley(k=3).fit(x, y, xt, yt).result.values
    np.testing.assert_array_equal(a, b)


def test_batches_bound_memory_and_do_not_change_values(monkeypatch: pytest.MonkeyPatch) -> None:
    from syndic.valuation import knn

    x, y, xt, yt = blobs(300, 50, classes=3)
    whole = KNNShapley(k=5, n_threads=1).fit(x, y, xt, yt).result.values
    monkeypatch.setattr(knn, "BATCH_BYTES", 1)  # one test point per batch
    est = KNNShapley(k=5, n_threads=1)
    batches = est._prepare(x, y, xt, yt).row_batches()
    assert all(b.stop - b.start == 1 for b in batches)
    np.testing.assert_allclose(est.fit(x, y, xt, yt).result.values, whole, atol=1e-15)


def test_same_bits_for_any_number_of_threads() -> None:
    # several batches, so the threads really split the work; the sum is added in batch order
    x, y, xt, yt = blobs(5000, 400, d=8, classes=4, seed=1)
    from syndic.valuation.knn import batch_rows

    assert -(-400 // batch_rows(5000)) > 2
    for precision in ("float64", "float32"):
        one = KNNShapley(k=5, n_threads=1, precision=precision).fit(x, y, xt, yt).result
        many = KNNShapley(k=5, n_threads=16, precision=precision).fit(x, y, xt, yt).result
        np.testing.assert_array_equal(one.values, many.values)


def test_memory_budget_is_shared_by_the_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    from syndic.valuation import knn

    # batch size comes from N alone; the number of batches in flight from the global budget
    assert knn.batch_rows(200_000) == knn.batch_rows(200_000)
    per_batch = knn.batch_rows(200_000) * knn.ROW_BYTES * 200_000
    assert knn.in_flight(200_000, 64) * per_batch <= knn.MEMORY_BUDGET
    assert knn.in_flight(200_000, 1) == 1
    monkeypatch.setattr(knn, "MEMORY_BUDGET", 1)
    assert knn.in_flight(10_000, 16) == 1  # even a tiny budget lets one batch run


def test_per_test_rows_sum_to_the_values() -> None:
    x, y, xt, yt = blobs(80, 12, classes=2)
    est = KNNShapley(k=3).fit(x, y, xt, yt)
    rows = np.concatenate([r for _, r in est.per_test()], axis=0)
    assert rows.shape == (12, 80)
    np.testing.assert_allclose(rows.mean(axis=0), est.result.values, atol=1e-14)


def test_progress_reports_every_test_point() -> None:
    x, y, xt, yt = blobs(40, 9)
    seen: list[tuple[int, int]] = []
    KNNShapley(k=3, progress=lambda d, t: seen.append((d, t))).fit(x, y, xt, yt)
    assert seen[-1] == (9, 9)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda x, y, xt, yt: (x[:, :2], y, xt, yt), "features"),
        (lambda x, y, xt, yt: (x, y[:-1], xt, yt), "labels for"),
        (lambda x, y, xt, yt: (x, y, xt, yt[:-1]), "labels for"),
        (lambda x, y, xt, yt: (np.where(x > 1, np.nan, x), y, xt, yt), "NaN or infinite"),
        (lambda x, y, xt, yt: (x, y, np.where(xt > 1, np.inf, xt), yt), "NaN or infinite"),
        (lambda x, y, xt, yt: (x, np.zeros_like(y), xt, yt), "single class"),
        (lambda x, y, xt, yt: (x[0], y, xt, yt), "2-d"),
        (lambda x, y, xt, yt: (x[:0], y[:0], xt, yt), "empty"),
        (lambda x, y, xt, yt: (x.astype(str), y, xt, yt), "real numbers"),
    ],
)
def test_bad_input_is_refused(mutate, message: str) -> None:
    data = mutate(*blobs(20, 5))
    with pytest.raises(ValuationError, match=message):
        KNNShapley(k=3).fit(*data)


def test_k_larger_than_the_training_set_is_refused() -> None:
    x, y, xt, yt = blobs(4, 3)
    y = np.array([0, 1, 0, 1])
    with pytest.raises(ValuationError, match="larger than the training set"):
        KNNShapley(k=5).fit(x, y, xt, yt)
    with pytest.raises(ValuationError, match="positive integer"):
        KNNShapley(k=0).fit(x, y, xt, yt)


def test_reading_the_result_before_fit_is_refused() -> None:
    with pytest.raises(ValuationError, match="fit"):
        _ = KNNShapley().result
    with pytest.raises(ValuationError, match="precision"):
        KNNShapley(precision="float16")  # type: ignore[arg-type]
    with pytest.raises(ValuationError, match="before asking for per-test"):
        next(KNNShapley().per_test())


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "4"])
def test_a_bad_thread_count_is_refused(bad: object) -> None:
    with pytest.raises(ValuationError, match="n_threads must be a positive integer"):
        KNNShapley(n_threads=bad)  # type: ignore[arg-type]


def test_runs_of_near_ties_are_each_put_in_exact_order() -> None:
    from syndic.valuation.knn import _Kernel, _match

    # distances one or two ulps apart tie once the key drops its low (index) bits: two runs
    one, four = np.nextafter(1.0, 2.0) - 1.0, np.nextafter(4.0, 5.0) - 4.0
    d = np.array([[1 + 2 * one, 1.0, 1 + one, 4 + four, 4.0, 9.0]])
    kernel = _Kernel(
        np.zeros((6, 1)),
        np.zeros(6),
        np.zeros((1, 1)),
        np.zeros(1),
        k=1,
        precision="float64",
        score=_match,
    )
    keys = (d.view(np.uint64) >> np.uint64(kernel.index_bits)).ravel()
    assert keys[0] == keys[1] == keys[2] and keys[3] == keys[4]  # the key alone cannot order them
    assert list(kernel.order(d.copy())[0]) == [1, 2, 0, 4, 3, 5]

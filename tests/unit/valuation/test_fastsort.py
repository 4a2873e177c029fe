"""The compiled radix sort gives numpy's sort bit for bit, and so KNN-Shapley the same values."""

from __future__ import annotations

import numpy as np
import pytest

from syndic.valuation import fastsort
from syndic.valuation.fastsort import sort_rows
from syndic.valuation.knn import KNNShapley

needs_numba = pytest.mark.skipif(not fastsort.AVAILABLE, reason="the fast extra is not installed")


def _keys(rng: np.random.Generator, rows: int, n: int, kind: str) -> np.ndarray:
    if kind == "full":
        return rng.integers(0, 2**64, size=(rows, n), dtype=np.uint64)
    if kind == "packed":  # float64 distance bits with the index in the low bits, as KNN packs
        d = rng.random((rows, n)) * 40
        b = max(1, int(n - 1).bit_length())
        keys = d.view(np.uint64) & ~np.uint64((1 << b) - 1)
        return keys | np.arange(n, dtype=np.uint64)
    if kind == "dupes":
        return rng.integers(0, 5, size=(rows, n), dtype=np.uint64) << np.uint64(40)
    return np.full((rows, n), 7, dtype=np.uint64)  # one value: every pass is skipped


@needs_numba
@pytest.mark.parametrize("kind", ["full", "packed", "dupes", "constant"])
@pytest.mark.parametrize(("rows", "n"), [(0, 5), (3, 1), (2, 2), (5, 257), (4, 5000)])
def test_radix_sort_equals_numpy(kind: str, rows: int, n: int) -> None:
    keys = _keys(np.random.default_rng(rows * 7919 + n), rows, n, kind)
    ours, ref = keys.copy(), keys.copy()
    sort_rows(ours, radix=True)
    ref.sort(axis=1)
    assert np.array_equal(ours, ref)


@needs_numba
@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_knn_values_do_not_depend_on_the_sort(
    precision: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3000, 8))
    x[1500:1600] = x[:100]  # exact duplicates: ties broken by index either way
    y = rng.integers(0, 3, size=3000)
    xt, yt = rng.normal(size=(120, 8)), rng.integers(0, 3, size=120)
    fast = KNNShapley(k=5, precision=precision).fit(x, y, xt, yt).result.values  # type: ignore[arg-type]
    monkeypatch.setattr(fastsort, "AVAILABLE", False)
    slow = KNNShapley(k=5, precision=precision).fit(x, y, xt, yt).result.values  # type: ignore[arg-type]
    assert np.array_equal(fast, slow)


def test_importing_syndic_does_not_import_numba() -> None:
    import subprocess
    import sys

    code = "import sys, syndic.app, syndic.cli.main; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_refusals(monkeypatch: pytest.MonkeyPatch) -> None:
    if fastsort.AVAILABLE:
        with pytest.raises(ValueError, match="C-contiguous"):
            sort_rows(np.zeros((4, 6), dtype=np.uint64)[:, ::2], radix=True)
        with pytest.raises(ValueError, match="uint64"):
            sort_rows(np.zeros((2, 3), dtype=np.int64), radix=True)  # type: ignore[arg-type]
    monkeypatch.setattr(fastsort, "_kernel", lambda: None)  # numba not installed
    with pytest.raises(RuntimeError, match=r"syndic\[fast\]"):
        sort_rows(np.zeros((2, 3), dtype=np.uint64), radix=True)
    keys = np.array([[3, 1, 2]], dtype=np.uint64)
    sort_rows(keys, radix=False)
    assert keys.tolist() == [[1, 2, 3]]

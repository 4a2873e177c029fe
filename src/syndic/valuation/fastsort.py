"""Sorting each row of a uint64 key matrix: an LSD radix sort compiled by numba when the
optional ``fast`` extra is installed (the one place numba is imported), else numpy's sort.

Exact KNN-Shapley spends most of its time sorting one packed (distance, index) key per
training point for every test point. numpy's sort of 64-bit integers runs at about 40 ns per
key on our CI machine; the radix sort below is about five times faster (measured in
docs/bench/valuation.md). Keys are distinct (the index is in the low bits), so both give the
same array bit for bit, and the rest of the computation cannot tell which one ran.

The radix sort reads each row once to build the histograms of every 11-bit digit, then
scatters it once per digit that is not the same for the whole row (the high digits of the
index and often of the distance's exponent are), between the row and one scratch row.
numba is imported, and the kernel compiled (or loaded from numba's cache), on the first sort,
so processes that never sort (the CLI, Monte-Carlo workers) do not pay for it.
"""

from __future__ import annotations

import functools
import importlib.util
import threading
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

_BITS = 11
_BUCKETS = 1 << _BITS
_PASSES = (64 + _BITS - 1) // _BITS

Kernel = Callable[[NDArray[np.uint64], NDArray[np.uint64]], None]
AVAILABLE = importlib.util.find_spec("numba") is not None
_lock = threading.Lock()


def _radix_rows(keys: Any, scratch: Any) -> None:  # pragma: no cover - compiled by numba
    """LSD radix sort of each row of ``keys`` in place (``scratch``: one row's worth)."""
    rows, n = keys.shape
    hist = np.empty((_PASSES, _BUCKETS), np.int64)
    mask = np.uint64(_BUCKETS - 1)
    for r in range(rows):
        row = keys[r]
        hist[:, :] = 0
        for i in range(n):
            k = row[i]
            for p in range(_PASSES):
                hist[p, (k >> np.uint64(p * _BITS)) & mask] += 1
        in_row = True
        for p in range(_PASSES):
            h = hist[p]
            if h.max() == n:  # the same digit everywhere: this pass would move nothing
                continue
            total = 0
            for b in range(_BUCKETS):
                c = h[b]
                h[b] = total
                total += c
            src = row if in_row else scratch
            dst = scratch if in_row else row
            shift = np.uint64(p * _BITS)
            for i in range(n):
                k = src[i]
                b = (k >> shift) & mask
                dst[h[b]] = k
                h[b] += 1
            in_row = not in_row
        if not in_row:
            row[:] = scratch[:n]


@functools.cache
def _kernel() -> Kernel | None:
    """The compiled kernel, built once per process; None without numba."""
    with _lock:
        try:
            import numba
        except ImportError:
            return None

        radix_rows = numba.njit(nogil=True, cache=True)(_radix_rows)

        with warnings.catch_warnings():
            # numba warns when it cannot write its on-disk cache (a read-only install); it
            # then compiles in memory, which is all we need
            warnings.simplefilter("ignore")
            radix_rows(np.array([[2, 1]], dtype=np.uint64), np.empty(2, dtype=np.uint64))
        kernel: Kernel = radix_rows
        return kernel


def sort_rows(keys: NDArray[np.uint64], *, radix: bool | None = None) -> None:
    """Sort every row of a C-contiguous 2-D uint64 array in place. ``radix``: None uses the
    compiled radix sort when numba is installed; False forces numpy (True requires numba)."""
    use = AVAILABLE if radix is None else radix
    if not use or keys.shape[0] == 0 or keys.shape[1] < 2:
        keys.sort(axis=1)
        return
    if keys.dtype != np.uint64 or keys.ndim != 2 or not keys.flags.c_contiguous:
        raise ValueError("sort_rows sorts a C-contiguous 2-D uint64 matrix")
    kernel = _kernel()
    if kernel is None:
        raise RuntimeError("the radix sort needs the optional extra: pip install 'syndic[fast]'")
    kernel(keys, np.empty(keys.shape[1], dtype=np.uint64))

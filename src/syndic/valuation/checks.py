"""Refuse bad input before any work starts, with a message that says what to fix."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from syndic.errors import ValuationError


def features(x: Any, name: str) -> NDArray[Any]:
    """A 2-d finite numeric array (scipy sparse matrices pass through after a finite check)."""
    if hasattr(x, "tocsr"):
        data = x.data
        if data.size and not np.isfinite(data).all():
            raise ValuationError(f"{name} holds NaN or infinite values")
        if len(x.shape) != 2 or x.shape[0] == 0:
            raise ValuationError(f"{name} must be a non-empty 2-d matrix, got shape {x.shape}")
        return x  # type: ignore[no-any-return]
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise ValuationError(f"{name} is not an array of numbers: {exc}") from exc
    if arr.ndim != 2:
        raise ValuationError(f"{name} must be 2-d (samples x features), got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValuationError(f"{name} is empty (shape {arr.shape})")
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise ValuationError(f"{name} must hold real numbers, not {arr.dtype}")
    if not np.isfinite(arr).all():
        bad = int((~np.isfinite(arr)).any(axis=1).sum())
        raise ValuationError(f"{name} holds NaN or infinite values in {bad} row(s)")
    return arr


def labels(y: Any, n: int, name: str) -> NDArray[Any]:
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValuationError(f"{name} must be 1-d, got shape {arr.shape}")
    if arr.shape[0] != n:
        raise ValuationError(f"{name} has {arr.shape[0]} labels for {n} samples (shapes differ)")
    if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
        raise ValuationError(f"{name} holds NaN or infinite values")
    return arr


def train_test(
    x_train: Any, y_train: Any, x_test: Any, y_test: Any, *, classification: bool = True
) -> tuple[Any, NDArray[Any], Any, NDArray[Any]]:
    xt = features(x_train, "X_train")
    xs = features(x_test, "X_test")
    if xt.shape[1] != xs.shape[1]:
        raise ValuationError(
            f"X_train has {xt.shape[1]} features but X_test has {xs.shape[1]} (shapes differ)"
        )
    yt = labels(y_train, xt.shape[0], "y_train")
    ys = labels(y_test, xs.shape[0], "y_test")
    if classification and np.unique(yt).size < 2:
        raise ValuationError(
            "y_train holds a single class; valuing data for a classifier needs at least two"
        )
    if not classification and not (
        np.issubdtype(yt.dtype, np.number) and np.issubdtype(ys.dtype, np.number)
    ):
        raise ValuationError("regression targets must be numbers")
    return xt, yt, xs, ys


def neighbours(k: int, n_train: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ValuationError(f"k must be a positive integer, got {k!r}")
    if k > n_train:
        raise ValuationError(f"k={k} is larger than the training set ({n_train} points)")
    return int(k)


def seed(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise ValuationError(f"seed must be a non-negative integer, got {value!r}")
    return int(value)

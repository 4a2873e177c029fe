"""Reference implementations and small data for the valuation tests."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray


def blobs(n: int, n_test: int, *, d: int = 3, classes: int = 2, seed: int = 0) -> tuple:
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=2.0, size=(classes, d))
    y = rng.integers(0, classes, n)
    yt = rng.integers(0, classes, n_test)
    x = centres[y] + rng.normal(size=(n, d))
    xt = centres[yt] + rng.normal(size=(n_test, d))
    return x, y, xt, yt


def jia_recursion(x, y, xt, yt, k: int) -> NDArray[np.float64]:
    """The recursion exactly as written in Jia et al. (2019), one test point at a time."""
    n = len(y)
    out = np.zeros(n)
    for point, label in zip(xt, yt, strict=True):
        d = ((x - point) ** 2).sum(axis=1)
        nb = np.lexsort((np.arange(n), d))
        s = np.zeros(n)
        s[nb[-1]] = float(y[nb[-1]] == label) / n
        for i in range(n - 1, 0, -1):
            s[nb[i - 1]] = s[nb[i]] + (
                float(y[nb[i - 1]] == label) - float(y[nb[i]] == label)
            ) / max(k, i)
        out += s
    return out / len(yt)


def brute_shapley(n: int, utility: Callable[[list[int]], float]) -> NDArray[np.float64]:
    """Shapley values by the definition (every coalition), independent of the package."""
    phi = np.zeros(n)
    for i in range(n):
        others = [j for j in range(n) if j != i]
        for size in range(n):
            w = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for s in itertools.combinations(others, size):
                phi[i] += w * (utility([*s, i]) - utility(list(s)))
    return phi


def knn_soft_utility(x, y, point, target, k: int, score: Callable[[float, float], float]):
    d = ((x - point) ** 2).sum(axis=1)

    def u(subset: list[int]) -> float:
        nearest = sorted(subset, key=lambda i: (d[i], i))[:k]
        return sum(score(y[i], target) for i in nearest) / k

    return u


def brute_beta_shapley(
    n: int, utility: Callable[[list[int]], float], alpha: float, beta: float
) -> NDArray[np.float64]:
    """Beta(alpha, beta) Shapley by the definition (Kwon & Zou 2022): every coalition S of the
    others weighs B(|S| + beta, n - 1 - |S| + alpha) / B(alpha, beta)."""

    def log_beta(a: float, b: float) -> float:
        return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)

    phi = np.zeros(n)
    for i in range(n):
        others = [j for j in range(n) if j != i]
        for size in range(n):
            w = math.exp(log_beta(size + beta, n - 1 - size + alpha) - log_beta(alpha, beta))
            for s in itertools.combinations(others, size):
                phi[i] += w * (utility([*s, i]) - utility(list(s)))
    return phi

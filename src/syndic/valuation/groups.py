"""Members as players.

Two ways to value a member: the sum of their works' values (each weighted by the member's
share; for sampled methods with standard errors from per-sample group sums, see
``montecarlo.py``), and true group Shapley, where the players are the members and a
coalition's utility is the utility of the union of its members' works. ``GroupGame`` turns a
game over points into a game over groups; ``KNNGame`` is the KNN-Shapley utility (Jia et al.'s
soft KNN accuracy) with a fast path that scores every prefix of a permutation incrementally,
so group permutation sampling costs about one pass over the distance matrix per permutation.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from syndic.errors import ValuationError
from syndic.valuation import checks
from syndic.valuation.base import Game
from syndic.valuation.montecarlo import TMCShapley
from syndic.valuation.result import FloatArray, ValuationResult

Groups = Sequence[Sequence[int] | NDArray[np.integer[Any]]]


def check_groups(groups: Groups, n_points: int) -> list[NDArray[np.int64]]:
    if len(groups) == 0:
        raise ValuationError("there are no groups to value")
    out = []
    for g, members in enumerate(groups):
        arr = np.unique(np.asarray(members, dtype=np.int64))
        if arr.size == 0:
            raise ValuationError(f"group {g} is empty: every group needs at least one point")
        if arr[0] < 0 or arr[-1] >= n_points:
            raise ValuationError(f"group {g} names a point outside 0..{n_points - 1}")
        out.append(arr)
    return out


class GroupGame:
    """The game whose players are groups of the base game's players."""

    def __init__(self, base: Game, groups: Groups) -> None:
        self.base = base
        self.groups = check_groups(groups, int(base.n))
        self.n = len(self.groups)
        # The base game's block-prefix fast path, when it has one (see permutation_marginals).
        blocks = getattr(base, "prefix_values_blocks", None)
        self.prefix_values = (
            (lambda perm: blocks([self.groups[g] for g in perm])) if blocks is not None else None
        )

    def __call__(self, subset: Sequence[int] | NDArray[np.integer[Any]]) -> float:
        idx = np.asarray(subset, dtype=np.int64)
        if idx.size == 0:
            return self.base(idx)
        return self.base(np.concatenate([self.groups[g] for g in idx]))


class KNNGame:
    """U(S) = mean over test points of (1/K) * #label matches among the K nearest in S.

    Each training point's rank for each test point, by (distance, index) as in KNNShapley, is
    computed once; ``prefix_values_blocks`` keeps each test point's K best ranks so far and
    merges one block of points at a time, so a whole permutation costs one pass."""

    MAX_CELLS = 50_000_000  # test x train cells: ranks (int32) + matches (uint8), ~250 MB

    def __init__(self, x_train: Any, y_train: Any, x_test: Any, y_test: Any, *, k: int = 5) -> None:
        from syndic.valuation.knn import rank_matrix

        xt, yt, xs, ys = checks.train_test(x_train, y_train, x_test, y_test)
        self.k = checks.neighbours(k, xt.shape[0])
        self.n = int(xt.shape[0])
        if xs.shape[0] * self.n > self.MAX_CELLS:
            raise ValuationError(
                f"{xs.shape[0]} test x {self.n} training points is too large for the group "
                "KNN game; use a smaller test fraction, or skip group Shapley "
                "(--group-permutations 0)"
            )
        order = rank_matrix(xt, xs)  # order[t, r]: the r-th nearest training point
        self.rank = np.empty_like(order, dtype=np.int32)
        np.put_along_axis(
            self.rank, order, np.arange(self.n, dtype=np.int32)[None, :].repeat(len(order), 0), 1
        )
        # match by rank, with one extra always-0 column for "no neighbour yet"
        self.match = np.zeros((order.shape[0], self.n + 1), dtype=np.uint8)
        self.match[:, : self.n] = yt[order] == ys[:, None]
        del order

    def prefix_values_blocks(self, blocks: Sequence[NDArray[np.int64]]) -> FloatArray:
        n_test = self.rank.shape[0]
        top = np.full((n_test, self.k), self.n, dtype=np.int32)  # K best ranks so far
        worst = np.full(n_test, self.n, dtype=np.int32)  # the K-th best: what a point must beat
        hits = np.zeros(n_test, dtype=np.int64)
        out = np.empty(len(blocks), dtype=np.float64)
        for b, block in enumerate(blocks):
            cand = self.rank[:, block]
            rows = np.flatnonzero((cand < worst[:, None]).any(axis=1))
            if rows.size:  # only test points whose K nearest change are touched
                merged = np.concatenate([top[rows], cand[rows]], axis=1)
                best = np.partition(merged, self.k - 1, axis=1)[:, : self.k]
                top[rows] = best
                worst[rows] = best.max(axis=1)
                hits[rows] = self.match[rows[:, None], best].sum(axis=1)
            out[b] = hits.sum() / (n_test * self.k)
        return out

    def prefix_values(self, perm: NDArray[np.int64]) -> FloatArray:
        return self.prefix_values_blocks([perm[i : i + 1] for i in range(perm.size)])

    def __call__(self, subset: Sequence[int] | NDArray[np.integer[Any]]) -> float:
        idx = np.asarray(subset, dtype=np.int64)
        if idx.size == 0:
            return 0.0
        return float(self.prefix_values_blocks([idx])[0])


class GroupShapley(TMCShapley):
    """Shapley values of groups (e.g. members) by permutation sampling over groups; the
    utility of a coalition is the base game's utility on the union of its groups' points."""

    method = "group-shapley"

    def __init__(self, *, truncation: float = 0.0, **kw: Any) -> None:
        super().__init__(None, truncation=truncation, **kw)

    def fit_groups(self, base: Game, groups: Groups) -> GroupShapley:
        return self.fit_game(GroupGame(base, groups))


def exact_shapley(game: Game) -> ValuationResult:
    """Shapley values by enumerating every coalition: 2^n utilities, for small n only."""
    n = int(game.n)
    if n > 16:
        raise ValuationError(f"exact enumeration over {n} players is too large (at most 16)")
    cache: dict[frozenset[int], float] = {}

    def u(s: frozenset[int]) -> float:
        if s not in cache:
            cache[s] = float(game(np.array(sorted(s), dtype=np.int64)))
        return cache[s]

    values = np.zeros(n, dtype=np.float64)
    for i in range(n):
        others = [j for j in range(n) if j != i]
        for size in range(n):
            w = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for s in itertools.combinations(others, size):
                base = frozenset(s)
                values[i] += w * (u(base | {i}) - u(base))
    return ValuationResult.exact("exact-shapley", values)


def membership(holders: Sequence[Sequence[tuple[int, float]]], n_groups: int) -> sparse.csr_matrix:
    """Points x groups matrix of shares (each row: the point's holders and their fractions)."""
    rows, cols, vals = [], [], []
    for p, hs in enumerate(holders):
        for g, frac in hs:
            rows.append(p)
            cols.append(g)
            vals.append(frac)
    return sparse.csr_matrix((vals, (rows, cols)), shape=(len(holders), n_groups))


def sum_by_group(result: ValuationResult, shares: sparse.csr_matrix) -> ValuationResult:
    """Per-group sum of exact values weighted by shares (standard error 0).

    Sampled estimates are correlated across points (one permutation's marginals add up to a
    constant), so summing their variances would misstate a group's uncertainty: value groups
    with a sampled method by passing ``group_weights`` to its ``fit`` and reading
    ``group_result``, which keeps per-sample group sums."""
    if shares.shape[0] != len(result):
        raise ValuationError(
            f"the share matrix has {shares.shape[0]} rows for {len(result)} valued points"
        )
    if result.stderr.any():
        raise ValuationError(
            "sum_by_group adds exact values only; for a sampled method pass group_weights to "
            "fit() and read group_result (its standard errors account for correlation)"
        )
    values = np.asarray(shares.T @ result.values, dtype=np.float64)
    return ValuationResult(
        method=f"{result.method}-sum",
        values=values,
        stderr=np.zeros_like(values),
        counts=np.zeros(values.shape, dtype=np.int64),
        updates=result.updates,
        converged=result.converged,
        params=result.params,
    )

"""Members as players.

Two ways to value a member: the sum of their works' values (each weighted by the member's
share; for sampled methods with standard errors from per-sample group sums, see
``montecarlo.py``), and true group Shapley, where the players are the members and a
coalition's utility is the utility of the union of its members' works. ``GroupGame`` turns a
game over points into a game over groups; ``KNNGame`` is the KNN-Shapley utility (Jia et al.'s
soft KNN accuracy) with a fast path that scores every prefix of a permutation incrementally,
so group permutation sampling costs about one pass over the distance matrix per permutation.

``StratifiedGroupShapley`` is what runs value members with. A member's Shapley value is the
mean over positions k = 0..n-1 of its expected marginal contribution to a random coalition of
size k (Maleki et al. 2013 stratify by it). On the demo pool almost all of the variance of a
permutation sample comes from the first few positions (a member's marginal to a coalition of
a few members is large and varies a lot; to hundreds it is small): position 0 alone carried
47% of it, positions 0-9 (3% of the samples) 89%. So the first ``head`` positions are valued
along chains, as every member's marginal to the same random prefixes (position 0 is then
exact: U(member alone)), and the rest by permutations, each sample kept only where the
member stands at position ``head`` or later.
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
from syndic.valuation.montecarlo import SampleMeanEstimator, TMCShapley, permutation_marginals
from syndic.valuation.result import FloatArray, ValuationResult
from syndic.valuation.stats import RunningStats

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

    TOPS_BYTES = 256 * 2**20

    def __init__(self, base: Game, groups: Groups) -> None:
        self.base = base
        self.groups = check_groups(groups, int(base.n))
        self.n = len(self.groups)
        # The base game's block-prefix fast path, when it has one (see permutation_marginals).
        self._tops: list[Any] | None = None
        blocks = getattr(base, "prefix_values_blocks", None)
        self.prefix_values = (
            (lambda perm: blocks([self.groups[g] for g in perm])) if blocks is not None else None
        )

    def __call__(self, subset: Sequence[int] | NDArray[np.integer[Any]]) -> float:
        idx = np.asarray(subset, dtype=np.int64)
        if idx.size == 0:
            return self.base(idx)
        return self.base(np.concatenate([self.groups[g] for g in idx]))

    def chain_marginals(self, chain: NDArray[np.int64], players: NDArray[np.int64]) -> FloatArray:
        """out[i, k] = U(chain[:k] + players[i]) - U(chain[:k]) for k = 0..len(chain): each
        player's marginal contribution to every prefix of ``chain`` (players not in it)."""
        base = self.base
        if isinstance(base, KNNGame):
            # each group's K best ranks never change: kept when they fit in TOPS_BYTES
            if self._tops is None and self.n * base.rank.shape[0] * (2 * base.k + 1) * 4 <= (
                self.TOPS_BYTES
            ):
                self._tops = [base.player_top(g) for g in self.groups]
            return base.chain_marginals_blocks(
                [self.groups[g] for g in chain],
                [self.groups[g] for g in players],
                None if self._tops is None else [self._tops[g] for g in players],
            )
        prefix = np.array([self(chain[:k]) for k in range(chain.size + 1)])
        with_player = np.array(
            [[self(np.append(chain[:k], p)) for k in range(chain.size + 1)] for p in players]
        )
        out: FloatArray = with_player - prefix[None, :]
        return out


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

    def _top(self, block: NDArray[np.int64]) -> NDArray[np.int32]:
        """Each test point's K best ranks among ``block``, ascending (padded with n)."""
        cand = self.rank[:, block]
        if block.size > self.k:
            cand = np.partition(cand, self.k - 1, axis=1)[:, : self.k]
        out = np.full((self.rank.shape[0], self.k), self.n, dtype=np.int32)
        out[:, : cand.shape[1]] = cand
        out.sort(axis=1)
        return out

    def chain_marginals_blocks(
        self,
        chain: Sequence[NDArray[np.int64]],
        players: Sequence[NDArray[np.int64]],
        tops: Sequence[tuple[NDArray[np.int32], NDArray[np.int32]]] | None = None,
    ) -> FloatArray:
        """out[i, k] = U(chain[:k] + players[i]) - U(chain[:k]), k = 0..len(chain).

        The K best ranks of a union of two sets are the r best of one and the K - r best of
        the other, where r counts the j with b_j < a_(K-1-j) (both ascending): so a player's
        soft accuracy with each prefix comes from K comparisons per test point, with prefix
        sums of the matches, and no sort. ``tops``: each player's ``player_top`` if kept."""
        n_test, k = self.rank.shape[0], self.k
        rows = np.arange(n_test)[:, None]
        prefix_tops = [np.full((n_test, k), self.n, dtype=np.int32)]
        for block in chain:
            merged = np.concatenate([prefix_tops[-1], self._top(block)], axis=1)
            best = np.partition(merged, k - 1, axis=1)[:, :k]
            best.sort(axis=1)
            prefix_tops.append(best)
        a = np.stack(prefix_tops)  # prefixes x test x K, ascending
        cum_a = np.zeros((a.shape[0], n_test, k + 1), dtype=np.int32)
        cum_a[:, :, 1:] = np.cumsum(self.match[rows[None], a], axis=2)
        a_rev = a[:, :, ::-1]
        base = cum_a[:, :, k].sum(axis=1)  # hits of each prefix
        flat = (np.arange(n_test) * (k + 1))[None, :]
        out = np.empty((len(players), a.shape[0]), dtype=np.float64)
        for i, block in enumerate(players):
            b, cum_b = tops[i] if tops is not None else self.player_top(block)
            r = (b[None] < a_rev).sum(axis=2)  # prefixes x test: how many of b's join
            hits = np.take_along_axis(cum_a, (k - r)[:, :, None], axis=2).sum(axis=(1, 2))
            hits += cum_b.ravel()[flat + r].sum(axis=1)
            out[i] = (hits - base) / (n_test * k)
        return out

    def player_top(self, block: NDArray[np.int64]) -> tuple[NDArray[np.int32], NDArray[np.int32]]:
        """A block's K best ranks per test point, ascending, and the prefix sums of their
        matches (test x K + 1)."""
        b = self._top(block)
        cum_b = np.zeros((b.shape[0], self.k + 1), dtype=np.int32)
        cum_b[:, 1:] = np.cumsum(self.match[np.arange(b.shape[0])[:, None], b], axis=1)
        return b, cum_b

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


class StratifiedGroupShapley(SampleMeanEstimator):
    """Group Shapley by position strata (see the module docstring). One sample is a round:

    - a random chain of players and its half-turn (the same order rotated by n // 2): every
      player's marginal to the chain's first ``head`` prefixes (positions 0..head-1), taken
      from the chain that does not hold the player among them;
    - a random permutation and its half-turn: the player's marginal at each position p it
      stands at, kept where p >= head.

    A round's estimate of player i is (1/n) * sum over k < head of its chain marginals, plus
    half the sum of its kept permutation marginals: each position p >= head appears with
    probability 2/n, so this is unbiased for the mean over positions (a Horvitz-Thompson
    sum). The round's gap to U(all) - U(none) is then spread evenly over the players (it has
    mean 0, so each estimate stays unbiased, and the values add up exactly). Rounds are
    independent; the value is their mean and the standard error comes from their spread
    (with ``small_sample``'s Student-t widening, in rounds)."""

    method = "group-shapley"

    def __init__(self, *, head: int = 16, **kw: Any) -> None:
        super().__init__(None, **kw)
        if isinstance(head, bool) or not isinstance(head, int) or head < 1:
            raise ValuationError(f"head must be a whole number of positions >= 1, got {head!r}")
        self.head = head

    def fit_groups(self, base: Game, groups: Groups) -> StratifiedGroupShapley:
        return self.fit_game(GroupGame(base, groups))

    def params(self) -> dict[str, Any]:
        return {"seed": self.seed, "head": self.head}

    def _start(self, game: Game) -> Any:
        self._stats = RunningStats(game.n)
        return min(self.head, max(1, game.n // 2))

    @staticmethod
    def _unit(game: Game, seed: np.random.SeedSequence, state: Any) -> Any:
        head: int = state
        n = int(game.n)
        assert isinstance(game, GroupGame)
        rng = np.random.default_rng(seed)
        out = np.zeros(n, dtype=np.float64)
        chain = rng.permutation(n).astype(np.int64)
        turned = np.roll(chain, n // 2)
        lead = chain[: head - 1]  # these stand in the first chain's prefixes: use the turned
        rest = np.setdiff1d(np.arange(n, dtype=np.int64), lead)
        out[rest] = game.chain_marginals(chain[: head - 1], rest).sum(axis=1) / n
        if lead.size:
            out[lead] = game.chain_marginals(turned[: head - 1], lead).sum(axis=1) / n
        perm = rng.permutation(n).astype(np.int64)
        for p in (perm, np.roll(perm, n // 2)):
            marg = permutation_marginals(game, p, 0.0, 0.0)
            kept = p[head:]
            out[kept] += marg[kept] / 2
        # efficiency, round by round: the gap to U(all) - U(none) (a permutation's marginals
        # add up to it) has mean 0, so spreading it evenly keeps each player's estimate
        # unbiased, and the values add up exactly as Shapley values do
        out += (marg.sum() - out.sum()) / n
        return out


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

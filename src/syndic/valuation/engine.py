"""One valuation of the pool, from a corpus to per-work and per-member values with
explanations. Pure computation: the service reads the corpus and stores what this returns. The
method is looked up in the registry (``methods/``); this module values members as players and
writes the explanations, the same for every method."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from syndic.valuation import explain
from syndic.valuation.corpus import Corpus
from syndic.valuation.crossfit import Averager, Splits, folds, repeat_seed
from syndic.valuation.features import FEATURIZERS, Texts
from syndic.valuation.groups import GroupShapley, StratifiedGroupShapley, membership
from syndic.valuation.methods import method
from syndic.valuation.methods.base import Task, Valued, enough_samples
from syndic.valuation.params import RunParams
from syndic.valuation.replicas import Replicas
from syndic.valuation.result import FloatArray, ValuationResult
from syndic.vault import FileVault

__all__ = ["Computed", "Progress", "RunParams", "compute", "featurize"]

# stage name, done, total (None when unknown)
Progress = Callable[[str, int, int | None], None]


@dataclass
class Computed:
    works: ValuationResult  # one entry per work of the corpus: every work is valued
    member_ids: list[int]
    works_valued: NDArray[np.int64]
    member_sum: ValuationResult
    member_group: dict[int, tuple[float, float]]  # member -> (value, stderr)
    rank: NDArray[np.int64]
    rank_low: NDArray[np.int64]
    rank_high: NDArray[np.int64]
    explanations: dict[int, dict[str, Any]]
    summary: dict[str, Any] = field(default_factory=dict)


# a repeat's seed -> the pool's features under it (the featurizer's own seed)
Features = Callable[[int], FloatArray]


def featurize(corpus: Corpus, vault: FileVault, params: RunParams, cache_dir: Path) -> FloatArray:
    texts = Texts(corpus.digests, corpus.texts(vault), params.dims, params.seed, cache_dir)
    return FEATURIZERS[params.features].run(texts)


@dataclass
class _Fits:
    """What the splits add up to, split after split."""

    works: Averager
    groups: Averager
    converged: bool = True
    group_converged: bool = True
    updates: int = 0
    first: tuple[Valued, NDArray[np.int64]] | None = None  # the first split, for its examples


def compute(
    corpus: Corpus, features: Features, params: RunParams, *, progress: Progress | None = None
) -> Computed:
    """Value every work by cross-fitting (``crossfit.py``): R repeats of K folds."""

    def tick(stage: str) -> Callable[[int, int | None], None] | None:
        return (lambda d, t: progress(stage, d, t)) if progress else None

    member_ids = sorted({m for hs in corpus.holders for m, _ in hs})
    col = {m: j for j, m in enumerate(member_ids)}
    whole = corpus.full_share_bp
    shares = membership(
        [[(col[m], bp / whole) for m, bp in hs] for hs in corpus.holders], len(col)
    ).tocsc()
    fits = _Fits(Averager(len(corpus)), Averager(len(col)))
    fits.group_converged = params.group_permutations > 0
    splits = Splits(params.folds)
    y = corpus.labels
    for r in range(params.repeats):
        seed = repeat_seed(params.seed, r)
        x = features(seed)
        fold_of = folds(y, k=params.folds, seed=seed)
        splits.add(fold_of)
        for f in range(params.folds):
            test, train = np.flatnonzero(fold_of == f), np.flatnonzero(fold_of != f)
            split_params = replace(params, seed=repeat_seed(seed, f))
            task = Task(x[train], y[train], x[test], y[test], shares[train], split_params, tick)
            _fit_split(task, train, test, fits)
    return _combine(
        corpus, member_ids=member_ids, shares=shares, fits=fits, splits=splits, params=params
    )


def _fit_split(task: Task, train: NDArray[np.int64], test: NDArray[np.int64], fits: _Fits) -> None:
    v = method(task.params.method).value(task)
    fits.works.add(train, v.works.values, v.works.stderr)
    fits.converged &= v.works.converged
    fits.updates += v.works.updates
    players = np.flatnonzero(np.asarray((task.shares > 0).sum(axis=0)).ravel())
    groups = [task.shares[:, j].nonzero()[0] for j in players]
    group, converged = _group_shapley(v, [int(j) for j in players], groups, task)
    if group:
        fits.groups.add(
            players,
            np.array([group[int(j)][0] for j in players]),
            np.array([group[int(j)][1] for j in players]),
        )
    fits.group_converged &= converged
    if fits.first is None:
        fits.first = (v, test)


def _combine(
    corpus: Corpus,
    *,
    member_ids: list[int],
    shares: Any,
    fits: _Fits,
    splits: Splits,
    params: RunParams,
) -> Computed:
    n_splits = params.repeats * params.folds
    values, stderr = fits.works.mean(n_splits), fits.works.stderr(n_splits)
    works = ValuationResult(
        method=params.method,
        values=values,
        stderr=stderr,
        counts=fits.works.count,
        updates=fits.updates,
        converged=fits.converged,
    )
    # works' split-to-split noise is taken as independent between works
    member_sum = ValuationResult(
        method=f"{params.method}-sum",
        values=np.asarray(shares.T @ values, dtype=np.float64),
        stderr=np.sqrt(np.asarray(shares.multiply(shares).T @ (stderr * stderr))),
        counts=np.zeros(len(member_ids), dtype=np.int64),
        updates=fits.updates,
        converged=fits.converged,
    )
    group_mean, group_se = fits.groups.mean(n_splits), fits.groups.stderr(n_splits)
    member_group = {
        m: (float(group_mean[j]), float(group_se[j]))
        for j, m in enumerate(member_ids)
        if fits.groups.count[j] > 0
    }
    rank = explain.ranks(member_sum.values)
    # where the rank would likely fall if the pool were valued again with another seed: the
    # difference of two independent runs has sqrt(2) times one run's standard error
    low, high = explain.stderr_rank_interval(
        member_sum.values, member_sum.stderr * np.sqrt(2.0), seed=params.seed
    )
    assert fits.first is not None  # at least one split ran
    c = Computed(
        works=works,
        member_ids=member_ids,
        works_valued=np.asarray((shares > 0).sum(axis=0)).ravel().astype(np.int64),
        member_sum=member_sum,
        member_group=member_group,
        rank=rank,
        rank_low=np.minimum(low, rank),
        rank_high=np.maximum(high, rank),
        explanations={},
    )
    first, first_test = fits.first
    c.explanations = _explanations(
        corpus, shares=shares, first=first, first_test=first_test, c=c, params=params
    )
    c.summary = {
        "works": len(corpus),
        "members": len(member_ids),
        "folds": params.folds,
        "repeats": params.repeats,
        "splits": splits.assignment,
        "metric": first.metric,
        "total_value": float(values.sum()),
        "updates": fits.updates,
        "converged": fits.converged,
        "group_converged": fits.group_converged,
    }
    return c


def _group_shapley(
    v: Valued, players: list[int], groups: list[NDArray[Any]], task: Task
) -> tuple[dict[int, tuple[float, float]], bool]:
    """Members as players (their works as one group each), on the method's game; and whether
    the estimate converged (reached the target standard error within its budget)."""
    n = task.params.group_permutations
    if n == 0 or not players:
        return {}, False
    common: dict[str, Any] = {
        "seed": task.params.seed,
        "executor": v.group_executor,
        "progress": task.tick("group-shapley"),
    }
    estimator: StratifiedGroupShapley | GroupShapley
    if task.params.estimators >= 2:
        rounds = max(2, -(-n // 2))  # a round: a permutation and its half-turn, a chain pair
        estimator = StratifiedGroupShapley(stop=task.params.stop(rounds), **common)
    else:  # as runs stored before version 2: plain permutations
        estimator = GroupShapley(stop=task.params.stop(n), **common)
    r = estimator.fit_groups(v.game, groups).result
    enough_samples(r, "--group-permutations", n)  # (never short: at least two rounds)
    out = {m: (float(a), float(s)) for m, a, s in zip(players, r.values, r.stderr, strict=True)}
    return out, r.converged


def _explanations(
    corpus: Corpus,
    *,
    shares: Any,
    first: Valued,
    first_test: NDArray[np.int64],
    c: Computed,
    params: RunParams,
) -> dict[int, dict[str, Any]]:
    test_titles = [corpus.titles[i] for i in first_test]
    test_labels = [str(corpus.labels[i]) for i in first_test]
    examples_basis = (
        "the first of this run's splits, on its test fold"
        if first.exact
        else f"exact KNN-Shapley (k={params.k}) on the same features, in the first of this "
        f"run's splits, a proxy: {params.method} does not split its value per test example"
    )
    out: dict[int, dict[str, Any]] = {}
    for j, m in enumerate(c.member_ids):
        held = shares[:, j].nonzero()[0]
        ex = explain.examples(
            first.contrib[:, j], test_titles, test_labels, corpus.work_ids[first_test]
        )
        labels = explain.own_labels(
            c.works.values[held],
            [float(shares[i, j]) for i in held],
            [str(corpus.labels[i]) for i in held],
        )
        out[m] = {
            "sentence": _sentence(c, j, labels, first.metric, params.method in EFFICIENT),
            "per_label": labels,
            "per_label_basis": "labels of the member's own works",
            **ex,
            "examples_basis": examples_basis,
        }
    return out


# methods whose values add up to U(all) - U(none): Shapley values
EFFICIENT = frozenset({"knn-shapley", "tmc-shapley"})


def _sentence(c: Computed, j: int, labels: dict[str, float], metric: str, efficient: bool) -> str:
    return explain.sentence(
        works=int(c.works_valued[j]),
        value=float(c.member_sum.values[j]),
        stderr=float(c.member_sum.stderr[j]),
        rank=(int(c.rank[j]), int(c.rank_low[j]), int(c.rank_high[j])),
        members=len(c.member_ids),
        labels=labels,
        metric=metric,
        efficient=efficient,
    )


def with_copies(corpus: Corpus, replicas: Replicas, c: Computed) -> Computed:
    """The values of the deduplicated pool spread back over every work of ``corpus``: a near
    copy gets 0 (its cluster's value is its original's), and the run lists every copy with
    the work it copies; members are told which of their works were grouped, and with whose."""
    if not replicas.copy_of:
        c.summary["near_copies"] = []
        return c
    n = len(corpus)
    keep = replicas.keep

    def spread(a: FloatArray) -> FloatArray:
        out = np.zeros(n)
        out[keep] = a
        return out

    counts = np.zeros(n, dtype=np.int64)
    counts[keep] = c.works.counts
    c.works = replace(
        c.works, values=spread(c.works.values), stderr=spread(c.works.stderr), counts=counts
    )
    copies = replicas.describe(corpus.work_ids, corpus.holders)
    c.summary["near_copies"] = copies
    for m, e in c.explanations.items():
        mine = [x for x in copies if m in x["holders"] or m in x["original_holders"]]
        e["near_copies"] = mine
    return c

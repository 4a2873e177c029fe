"""One valuation of the pool, from a corpus to per-work and per-member values with
explanations. Pure computation: the service reads the corpus and stores what this returns. The
method is looked up in the registry (``methods/``); this module values members as players and
writes the explanations, the same for every method."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from syndic.valuation import explain
from syndic.valuation.corpus import Corpus
from syndic.valuation.features import FEATURIZERS, Texts
from syndic.valuation.groups import GroupShapley, membership
from syndic.valuation.methods import method
from syndic.valuation.methods.base import Task, Valued, enough_samples
from syndic.valuation.params import RunParams
from syndic.valuation.result import FloatArray, ValuationResult
from syndic.vault import FileVault

__all__ = ["Computed", "Progress", "RunParams", "compute", "featurize"]

# stage name, done, total (None when unknown)
Progress = Callable[[str, int, int | None], None]


@dataclass
class Computed:
    train: NDArray[np.int64]
    test: NDArray[np.int64]
    works: ValuationResult  # one entry per train work
    member_ids: list[int]
    works_valued: NDArray[np.int64]
    member_sum: ValuationResult
    member_group: dict[int, tuple[float, float]]  # member -> (value, stderr)
    rank: NDArray[np.int64]
    rank_low: NDArray[np.int64]
    rank_high: NDArray[np.int64]
    explanations: dict[int, dict[str, Any]]
    summary: dict[str, Any] = field(default_factory=dict)


def featurize(corpus: Corpus, vault: FileVault, params: RunParams, cache_dir: Path) -> FloatArray:
    texts = Texts(corpus.digests, corpus.texts(vault), params.dims, params.seed, cache_dir)
    return FEATURIZERS[params.features].run(texts)


def compute(
    corpus: Corpus,
    x: FloatArray,
    train: NDArray[np.int64],
    test: NDArray[np.int64],
    params: RunParams,
    *,
    progress: Progress | None = None,
) -> Computed:
    def tick(stage: str) -> Callable[[int, int | None], None] | None:
        return (lambda d, t: progress(stage, d, t)) if progress else None

    member_ids = sorted({m for hs in corpus.holders for m, _ in hs})
    col = {m: j for j, m in enumerate(member_ids)}
    whole = corpus.full_share_bp
    shares = membership(
        [[(col[m], bp / whole) for m, bp in corpus.holders[i]] for i in train], len(col)
    )
    works_valued = np.asarray((shares > 0).sum(axis=0)).ravel().astype(np.int64)
    y = corpus.labels
    task = Task(x[train], y[train], x[test], y[test], shares, params, tick)
    v = method(params.method).value(task)
    players = [m for m in member_ids if works_valued[col[m]] > 0]
    member_group, group_converged = _group_shapley(
        v, players, [shares[:, col[m]].nonzero()[0] for m in players], task
    )
    rank = explain.ranks(v.member_sum.values)
    if v.exact:
        low, high = explain.bootstrap_rank_interval(v.contrib, seed=params.seed)
    else:
        low, high = explain.stderr_rank_interval(
            v.member_sum.values, v.member_sum.stderr, seed=params.seed
        )
    low, high = np.minimum(low, rank), np.maximum(high, rank)
    c = Computed(
        train=train,
        test=test,
        works=v.works,
        member_ids=member_ids,
        works_valued=works_valued,
        member_sum=v.member_sum,
        member_group=member_group,
        rank=rank,
        rank_low=low,
        rank_high=high,
        explanations={},
    )
    c.explanations = _explanations(corpus, task, v, c)
    c.summary = {
        "works": len(corpus),
        "train": int(train.size),
        "test": int(test.size),
        "members": len(col),
        "group_players": len(players),
        "metric": v.metric,
        "total_value": float(v.works.values.sum()),
        "updates": v.works.updates,
        "converged": v.works.converged,
        "group_converged": group_converged,
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
    r = (
        GroupShapley(
            stop=task.params.stop(n),
            seed=task.params.seed,
            executor=v.group_executor,
            progress=task.tick("group-shapley"),
        )
        .fit_groups(v.game, groups)
        .result
    )
    enough_samples(r, "--group-permutations", n)
    out = {m: (float(a), float(s)) for m, a, s in zip(players, r.values, r.stderr, strict=True)}
    return out, r.converged


def _explanations(corpus: Corpus, task: Task, v: Valued, c: Computed) -> dict[int, dict[str, Any]]:
    test_titles = [corpus.titles[i] for i in c.test]
    test_labels = [str(t) for t in task.yte]
    examples_basis = (
        "this run's per-test-example contributions"
        if v.exact
        else f"exact KNN-Shapley (k={task.params.k}) on the same features, a proxy: "
        f"{task.params.method} does not split its value per test example"
    )
    out: dict[int, dict[str, Any]] = {}
    for j, m in enumerate(c.member_ids):
        held = task.shares[:, j].nonzero()[0]
        ex = explain.examples(v.contrib[:, j], test_titles, test_labels, corpus.work_ids[c.test])
        if v.exact:
            labels = explain.per_label(v.contrib[:, j], np.asarray(test_labels, dtype=object))
            basis = "test labels"
        else:
            labels = explain.own_labels(
                v.works.values[held],
                [float(task.shares[i, j]) for i in held],
                [str(task.ytr[i]) for i in held],
            )
            basis = "labels of the member's own works"
        out[m] = {
            "sentence": _sentence(c, j, labels, v.metric),
            "per_label": labels,
            "per_label_basis": basis,
            **ex,
            "examples_basis": examples_basis,
        }
    return out


def _sentence(c: Computed, j: int, labels: dict[str, float], metric: str) -> str:
    if c.works_valued[j] == 0:
        return (
            "None of your works fell in the valued part of this run (they were all test "
            "examples that define the task), so your value here is 0."
        )
    return explain.sentence(
        works=int(c.works_valued[j]),
        value=float(c.member_sum.values[j]),
        stderr=float(c.member_sum.stderr[j]),
        rank=(int(c.rank[j]), int(c.rank_low[j]), int(c.rank_high[j])),
        members=len(c.member_ids),
        labels=labels,
        metric=metric,
    )

"""One valuation of the pool, from a corpus to per-work and per-member values with
explanations. Pure computation: the service reads the corpus and stores what this returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from syndic.errors import ValuationError
from syndic.members.models import FULL_SHARE_BP
from syndic.valuation import checks, explain
from syndic.valuation.banzhaf import Banzhaf
from syndic.valuation.corpus import Corpus
from syndic.valuation.executors import EXECUTORS
from syndic.valuation.features import FEATURIZERS, EmbeddingCache, tfidf_svd
from syndic.valuation.groups import GroupShapley, KNNGame, membership, sum_by_group
from syndic.valuation.knn import KNNShapley
from syndic.valuation.loo import LeaveOneOut
from syndic.valuation.montecarlo import BetaShapley, TMCShapley
from syndic.valuation.result import FloatArray, ValuationResult
from syndic.valuation.stopping import MaxUpdates
from syndic.valuation.utility import ModelUtility
from syndic.vault import FileVault

METHODS = ("knn-shapley", "tmc-shapley", "banzhaf", "beta-shapley", "loo")
MODELS = ("knn", "logistic")
# stage name, done, total (None when unknown)
Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class RunParams:
    method: str = "knn-shapley"
    label: str = "field"
    test_fraction: float = 0.2
    seed: int = 0
    k: int = 5
    features: str = "tfidf-svd"
    dims: int = 64
    precision: str = "float64"
    model: str = "knn"  # the model sampled methods value data for
    max_updates: int = 200  # sampled methods: permutations / coalitions
    group_permutations: int = 100  # members as players; 0 skips group Shapley
    executor: str = "process"

    def check(self) -> RunParams:
        if self.method not in METHODS:
            raise ValuationError(
                f"unknown method {self.method!r}; use one of: {', '.join(METHODS)}"
            )
        if self.model not in MODELS:
            raise ValuationError(f"unknown model {self.model!r}; use one of: {', '.join(MODELS)}")
        if self.features not in FEATURIZERS:
            raise ValuationError(
                f"unknown features {self.features!r}; use one of: {', '.join(FEATURIZERS)}"
            )
        if self.precision not in ("float64", "float32"):
            raise ValuationError(f"precision must be float64 or float32, not {self.precision!r}")
        if not self.label.strip():
            raise ValuationError("the label must name a metadata field of the works")
        if not 0 < self.test_fraction < 1:
            raise ValuationError(f"test fraction must be between 0 and 1, got {self.test_fraction}")
        checks.seed(self.seed)
        for name in ("k", "dims", "max_updates"):
            if getattr(self, name) < 1:
                raise ValuationError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.group_permutations < 0:
            raise ValuationError("group permutations cannot be negative")
        if self.executor not in EXECUTORS:
            raise ValuationError(
                f"unknown executor {self.executor!r}; use one of: {', '.join(EXECUTORS)}"
            )
        return self

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


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
    if params.features == "minilm":
        from syndic.valuation.embed import MODEL_ID, minilm_encoder

        cache = EmbeddingCache(cache_dir / "embeddings", MODEL_ID, minilm_encoder())
        return cache.embed(corpus.digests, list(corpus.texts(vault)))
    return tfidf_svd(corpus.texts(vault), dims=params.dims, seed=params.seed)


def _model(params: RunParams) -> Any:
    if params.model == "logistic":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(max_iter=1000)
    from sklearn.neighbors import KNeighborsClassifier

    return KNeighborsClassifier(n_neighbors=params.k)


def _enough_samples(result: ValuationResult, option: str, given: int) -> None:
    """A value needs two samples for a standard error; refuse rather than store infinity."""
    short = int((~np.isfinite(result.stderr)).sum())
    if short:
        raise ValuationError(
            f"{short} of {len(result)} players got fewer than two samples, so their uncertainty "
            f"is unknown; raise {option} (now {given})"
        )


def compute(
    corpus: Corpus,
    x: FloatArray,
    train: NDArray[np.int64],
    test: NDArray[np.int64],
    params: RunParams,
    progress: Progress | None = None,
) -> Computed:
    def tick(stage: str) -> Callable[[int, int | None], None] | None:
        return (lambda d, t: progress(stage, d, t)) if progress else None

    y = corpus.labels
    member_ids = sorted({m for hs in corpus.holders for m, _ in hs})
    col = {m: j for j, m in enumerate(member_ids)}
    shares = membership(
        [[(col[m], bp / FULL_SHARE_BP) for m, bp in corpus.holders[i]] for i in train], len(col)
    )
    works_valued = np.asarray((shares > 0).sum(axis=0)).ravel().astype(np.int64)
    xtr, ytr, xte, yte = x[train], y[train], x[test], y[test]

    def knn_contributions(stage: str) -> tuple[ValuationResult, FloatArray]:
        """Exact KNN-Shapley and its split over (test example, member)."""
        est = KNNShapley(
            k=params.k,
            precision=params.precision,  # type: ignore[arg-type]
            progress=tick(stage),
        ).fit(xtr, ytr, xte, yte)
        per_member = np.zeros((test.size, len(col)))
        for rows, per_test in est.per_test():
            per_member[rows] = np.asarray(shares.T @ per_test.T).T
        return est.result, per_member

    exact_knn = params.method == "knn-shapley"
    if exact_knn:
        works, contrib = knn_contributions("knn-shapley")
        member_sum = sum_by_group(works, shares)
        game: Any = KNNGame(xtr, ytr, xte, yte, k=params.k)
        group_executor = "serial"  # the KNN game is vectorised; shipping it costs more
        metric = "accuracy (soft KNN)"
    else:
        model = _model(params)
        stop = MaxUpdates(params.max_updates)
        common: dict[str, Any] = {"executor": params.executor, "progress": tick(params.method)}
        if params.method == "loo":
            works = LeaveOneOut(model, **common).fit(xtr, ytr, xte, yte).result
            member_sum = sum_by_group(works, shares)
        else:
            sampled: TMCShapley | Banzhaf | BetaShapley
            if params.method == "tmc-shapley":
                sampled = TMCShapley(model, stop=stop, seed=params.seed, **common)
            elif params.method == "banzhaf":
                sampled = Banzhaf(model, stop=stop, seed=params.seed, **common)
            else:
                sampled = BetaShapley(model, stop=stop, seed=params.seed, **common)
            sampled.fit(xtr, ytr, xte, yte, group_weights=shares)
            works, member_sum = sampled.result, sampled.group_result
        _enough_samples(works, "--max-updates", params.max_updates)
        # Which test examples a member's works help or hurt: the sampled utilities are not
        # split per test example, so exact KNN-Shapley on the same features (one sort per test
        # example; seconds) stands in for it, and the explanation says so.
        _, contrib = knn_contributions("examples (knn-shapley)")
        game = ModelUtility(model, xtr, ytr, xte, yte)
        group_executor = params.executor
        metric = f"accuracy ({params.model})"

    member_group: dict[int, tuple[float, float]] = {}
    players = [m for m in member_ids if works_valued[col[m]] > 0]
    if params.group_permutations > 0 and players:
        groups = [shares[:, col[m]].nonzero()[0] for m in players]
        gs = GroupShapley(
            stop=MaxUpdates(params.group_permutations),
            seed=params.seed,
            executor=group_executor,
            progress=tick("group-shapley"),
        ).fit_groups(game, groups)
        r = gs.result
        _enough_samples(r, "--group-permutations", params.group_permutations)
        member_group = {
            m: (float(v), float(s)) for m, v, s in zip(players, r.values, r.stderr, strict=True)
        }

    rank = explain.ranks(member_sum.values)
    if exact_knn:
        low, high = explain.bootstrap_rank_interval(contrib, seed=params.seed)
    else:
        low, high = explain.stderr_rank_interval(
            member_sum.values, member_sum.stderr, seed=params.seed
        )
    low, high = np.minimum(low, rank), np.maximum(high, rank)

    test_titles = [corpus.titles[i] for i in test]
    test_labels = [str(v) for v in yte]
    explanations: dict[int, dict[str, Any]] = {}
    examples_basis = (
        "this run's per-test-example contributions"
        if exact_knn
        else f"exact KNN-Shapley (k={params.k}) on the same features, a proxy: "
        f"{params.method} does not split its value per test example"
    )
    for m, j in col.items():
        held = shares[:, j].nonzero()[0]
        ex = explain.examples(contrib[:, j], test_titles, test_labels, corpus.work_ids[test])
        if exact_knn:
            labels = explain.per_label(contrib[:, j], np.asarray(test_labels, dtype=object))
            basis = "test labels"
        else:
            labels = explain.own_labels(
                works.values[held],
                [float(shares[i, j]) for i in held],
                [str(ytr[i]) for i in held],
            )
            basis = "labels of the member's own works"
        text = (
            explain.sentence(
                works=int(works_valued[j]),
                value=float(member_sum.values[j]),
                stderr=float(member_sum.stderr[j]),
                rank=int(rank[j]),
                low=int(low[j]),
                high=int(high[j]),
                members=len(col),
                labels=labels,
                metric=metric,
            )
            if works_valued[j] > 0
            else "None of your works fell in the valued part of this run (they were all test "
            "examples that define the task), so your value here is 0."
        )
        explanations[m] = {
            "sentence": text,
            "per_label": labels,
            "per_label_basis": basis,
            **ex,
            "examples_basis": examples_basis,
        }
    summary = {
        "works": len(corpus),
        "train": int(train.size),
        "test": int(test.size),
        "members": len(col),
        "group_players": len(players),
        "metric": metric,
        "total_value": float(works.values.sum()),
        "updates": works.updates,
        "converged": works.converged,
    }
    return Computed(
        train=train,
        test=test,
        works=works,
        member_ids=member_ids,
        works_valued=works_valued,
        member_sum=member_sum,
        member_group=member_group,
        rank=rank,
        rank_low=low,
        rank_high=high,
        explanations=explanations,
        summary=summary,
    )

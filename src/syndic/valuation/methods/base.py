"""What every valuation method receives and returns, and the steps they share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from syndic.errors import ValuationError
from syndic.valuation.knn import KNNShapley
from syndic.valuation.learners import LEARNERS
from syndic.valuation.result import FloatArray, ValuationResult

if TYPE_CHECKING:
    from syndic.valuation.params import RunParams

# stage name -> its progress callback (done, total or None), or None when nobody listens
Tick = Callable[[str], Callable[[int, int | None], None] | None]


@dataclass(frozen=True)
class Task:
    """The split data, each train work's shares per member (sparse, works x members), the
    run's parameters and a progress hook per stage."""

    xtr: FloatArray
    ytr: Any
    xte: FloatArray
    yte: Any
    shares: Any
    params: RunParams
    tick: Tick

    def model(self) -> Any:
        return LEARNERS[self.params.model](self.params.k)


@dataclass(frozen=True)
class Valued:
    """A method's answer. ``contrib`` splits value over (test example, member); ``exact`` says
    it is this run's own split rather than exact KNN-Shapley standing in for it. ``game`` is
    the utility group Shapley plays members on, run on ``group_executor``."""

    works: ValuationResult
    member_sum: ValuationResult
    contrib: FloatArray
    exact: bool
    game: Any
    group_executor: str
    metric: str


class Method(Protocol):
    def value(self, task: Task) -> Valued:
        """Value the train works (and members, through their shares)."""
        ...


def knn_contributions(task: Task, stage: str) -> tuple[ValuationResult, FloatArray]:
    """Exact KNN-Shapley and its split over (test example, member)."""
    p = task.params
    est = KNNShapley(
        k=p.k,
        precision=p.precision,  # type: ignore[arg-type]
        progress=task.tick(stage),
    ).fit(task.xtr, task.ytr, task.xte, task.yte)
    per_member = np.zeros((len(task.yte), task.shares.shape[1]))
    for rows, per_test in est.per_test():
        per_member[rows] = np.asarray(task.shares.T @ per_test.T).T
    return est.result, per_member


def enough_samples(result: ValuationResult, option: str, given: int) -> None:
    """A value needs two samples for a standard error; refuse rather than store infinity."""
    short = int((~np.isfinite(result.stderr)).sum())
    if short:
        raise ValuationError(
            f"{short} of {len(result)} players got fewer than two samples, so their uncertainty "
            f"is unknown; raise {option} (now {given})"
        )


def with_proxy_examples(
    task: Task, works: ValuationResult, member_sum: ValuationResult, model: Any
) -> Valued:
    """A model-based method's answer. Its utilities are not split per test example, so exact
    KNN-Shapley on the same features (one sort per test example; seconds) stands in for which
    test examples a member's works help or hurt, and the explanation says so."""
    enough_samples(works, "--max-updates", task.params.max_updates)
    from syndic.valuation.utility import ModelUtility

    _, contrib = knn_contributions(task, "examples (knn-shapley)")
    return Valued(
        works=works,
        member_sum=member_sum,
        contrib=contrib,
        exact=False,
        game=ModelUtility(model, task.xtr, task.ytr, task.xte, task.yte),
        group_executor=task.params.executor,
        metric=f"accuracy ({task.params.model})",
    )

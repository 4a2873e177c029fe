"""Sampled methods (permutations or coalitions) share one shape: build the estimator with the
run's stopping rule, seed and executor, fit it with members as weighted groups."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from syndic.valuation.methods.base import Task, Valued, with_proxy_examples


class Sampled:
    def __init__(
        self,
        estimator: type[Any],
        stage: str,
        options: Callable[[Any], dict[str, Any]] | None = None,
    ) -> None:
        self.estimator = estimator
        self.stage = stage
        self.options = options  # the estimator's own options, from the RunParams

    def value(self, task: Task) -> Valued:
        p = task.params
        model = task.model()
        est = self.estimator(
            model,
            stop=p.stop(p.max_updates),
            seed=p.seed,
            executor=p.executor,
            progress=task.tick(self.stage),
            **(self.options(p) if self.options else {}),
        )
        est.fit(task.xtr, task.ytr, task.xte, task.yte, group_weights=task.shares)
        return with_proxy_examples(task, est.result, est.group_result, model)

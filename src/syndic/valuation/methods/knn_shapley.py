"""Exact KNN-Shapley (Jia et al. 2019): one sort per test example, and the value split over
test examples, so explanations use this run's own numbers."""

from __future__ import annotations

from syndic.valuation.groups import KNNGame, sum_by_group
from syndic.valuation.methods.base import Task, Valued, knn_contributions


class ExactKNNShapley:
    def value(self, task: Task) -> Valued:
        works, contrib = knn_contributions(task, "knn-shapley")
        return Valued(
            works=works,
            member_sum=sum_by_group(works, task.shares),
            contrib=contrib,
            exact=True,
            game=KNNGame(task.xtr, task.ytr, task.xte, task.yte, k=task.params.k),
            group_executor="serial",  # the KNN game is vectorised; shipping it costs more
            metric="accuracy (soft KNN)",
        )


METHOD = ExactKNNShapley()

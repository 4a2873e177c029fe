"""Leave-one-out: each work's value is the utility lost without it."""

from __future__ import annotations

from syndic.valuation.groups import sum_by_group
from syndic.valuation.loo import LeaveOneOut
from syndic.valuation.methods.base import Task, Valued, with_proxy_examples


class LOO:
    def value(self, task: Task) -> Valued:
        model = task.model()
        works = (
            LeaveOneOut(model, executor=task.params.executor, progress=task.tick("loo"))
            .fit(task.xtr, task.ytr, task.xte, task.yte)
            .result
        )
        return with_proxy_examples(task, works, sum_by_group(works, task.shares), model)


METHOD = LOO()

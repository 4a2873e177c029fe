"""The engine on a small Gaussian task: index sets, the strike read off the fitted curves at a
builder size, labelled as extrapolation when asked beyond 4x."""

from __future__ import annotations

import numpy as np
import pytest

from syndic.bargaining.engine import Task, compute, plan
from syndic.bargaining.params import LeverageParams
from syndic.errors import LeverageError

PARAMS = LeverageParams(seeds=2, n_sizes=4, min_size=20, groups=1, executor="serial")


def gaussian_task(n_pool: int = 150, n_out: int = 300, seed: int = 0) -> Task:
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 1, (3, 8))
    y = rng.integers(0, 3, n_pool + n_out)
    x = centers[y] + rng.normal(0, 1.5, (y.size, 8))
    return Task(
        x=x,
        labels=[f"c{v}" for v in y],
        is_pool=np.arange(y.size) < n_pool,
        holders=[[1 + i % 4] for i in range(n_pool)] + [[] for _ in range(n_out)],
    )


def test_index_sets_keep_evaluation_works_out_of_every_training_set() -> None:
    task = gaussian_task()
    sets = plan(task, PARAMS)
    evaluate = set(sets["eval"].tolist())
    for name, rows in sets.items():
        if name != "eval":
            assert not evaluate & set(rows.tolist()), name
    assert set(sets["arm/pool"].tolist()) <= set(np.flatnonzero(task.is_pool).tolist())
    assert not set(sets["arm/outside"].tolist()) & set(np.flatnonzero(task.is_pool).tolist())


def test_a_builder_size_beyond_4x_is_read_off_the_curves_and_labelled_when_asked() -> None:
    task = gaussian_task()
    n_o = plan(task, PARAMS).get("arm/outside")
    assert n_o is not None
    big = 5 * n_o.size
    with pytest.raises(LeverageError, match="that is extrapolation; ask for it"):
        compute(task, LeverageParams(**{**PARAMS.as_dict(), "builder_size": big}))
    c = compute(
        task, LeverageParams(**{**PARAMS.as_dict(), "builder_size": big, "extrapolate": True})
    )
    for fam in ("linear", "knn"):
        st = c.strike[fam]
        assert c.fits[fam]["outside"]["error"]["usable"], c.fits[fam]["outside"]["error"]
        assert c.fits[fam]["outside+pool"]["error"]["usable"]
        assert st["builder_size"] == big and st["basis"].startswith("read off the fitted")
        assert st["label"].startswith("extrapolation")
        low, high = st["accuracy_points_interval"]
        assert low < high


def test_a_process_pool_measures_the_same_points_as_one_process() -> None:
    task = gaussian_task(n_pool=60, n_out=120, seed=3)
    small = {**PARAMS.as_dict(), "families": "knn", "groups": 0}
    serial = compute(task, LeverageParams(**small))
    pooled = compute(task, LeverageParams(**{**small, "executor": "process", "workers": 2}))
    assert pooled.points == serial.points and pooled.result() == serial.result()

"""Leverage parameters are refused in words before anything runs."""

from __future__ import annotations

from typing import Any

import pytest

from syndic.bargaining.params import LeverageParams
from syndic.errors import LeverageError


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"families": "linear,forest"}, "families must be a comma-separated list"),
        ({"families": ""}, "families must be a comma-separated list"),
        ({"features": "words"}, "unknown features 'words'"),
        ({"executor": "cloud"}, "unknown executor 'cloud'"),
        ({"label": " "}, "the label must name a metadata field"),
        ({"eval_fraction": 0.5}, "eval fraction must be in"),
        ({"seeds": 1}, "seeds must be at least 2"),
        ({"n_sizes": 3}, "n sizes must be at least 4"),
        ({"sizes": "10,x"}, "sizes must be whole numbers"),
        ({"sizes": "0,10,20"}, "give at least 3 positive sizes"),
        ({"sizes": "10,20"}, "give at least 3 positive sizes"),
        ({"k": 0}, "dims and k must be >= 1"),
        ({"builder_size": -1}, "builder size and workers cannot be negative"),
        ({"price_per_work_minor": 0}, "price per work minor must be positive"),
        ({"value_per_point_minor": -3}, "value per point minor must be positive"),
        ({"nash_weight": 1.5}, "nash weight must be between 0 and 1"),
        ({"seeds": "5"}, "seeds must be a int"),
        ({"extrapolate": 1}, "extrapolate must be a bool"),
    ],
)
def test_bad_parameters_are_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(LeverageError, match=message):
        LeverageParams(**change).check()


def test_the_defaults_are_the_issue_s_minimums() -> None:
    p = LeverageParams().check()
    assert p.n_sizes >= 6 and p.seeds >= 5 and p.family_list() == ["linear", "knn"]
    assert LeverageParams(sizes="400, 100,200").size_list() == [100, 200, 400]

"""Explanations a member can read: which test examples their works helped or hurt most, the
contribution per label, their rank among members with an interval, one plain sentence, and a
chart.

For KNN-Shapley a member's value is the mean over test examples of their works' contributions,
so the contribution matrix (test examples x members) explains it exactly, and resampling the
test examples (bootstrap) gives the rank interval. For sampled methods the interval comes
from the estimates' standard errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from syndic.valuation.result import FloatArray

TOP = 3
INTERVAL = (5.0, 95.0)


def ranks(values: FloatArray) -> NDArray[np.int64]:
    """1 = most valuable; ties share the better rank."""
    order = np.argsort(-values, kind="stable")
    out = np.empty(values.size, dtype=np.int64)
    out[order] = np.arange(1, values.size + 1)
    sorted_vals = values[order]
    for i in range(1, values.size):  # equal values get the same (better) rank
        if sorted_vals[i] == sorted_vals[i - 1]:
            out[order[i]] = out[order[i - 1]]
    return out


def _interval(draws: NDArray[np.float64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Percentile interval of each member's rank over draws (rows) of all members' values."""
    r = np.vstack([ranks(row) for row in draws])
    lo = np.floor(np.percentile(r, INTERVAL[0], axis=0)).astype(np.int64)
    hi = np.ceil(np.percentile(r, INTERVAL[1], axis=0)).astype(np.int64)
    return lo, hi


def bootstrap_rank_interval(
    contrib: FloatArray, *, draws: int = 200, seed: int = 0
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Resample test examples with replacement; ``contrib`` is test examples x members."""
    rng = np.random.default_rng(seed)
    n_test = contrib.shape[0]
    picks = rng.integers(0, n_test, size=(draws, n_test))
    means = np.vstack([contrib[p].mean(axis=0) for p in picks])
    return _interval(means)


def stderr_rank_interval(
    values: FloatArray, stderr: FloatArray, *, draws: int = 200, seed: int = 0
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    rng = np.random.default_rng(seed)
    se = np.where(np.isfinite(stderr), stderr, 0.0)
    return _interval(values[None, :] + rng.normal(size=(draws, values.size)) * se[None, :])


def examples(
    column: FloatArray, test_titles: Sequence[str], test_labels: Sequence[str], test_ids: Any
) -> dict[str, list[dict[str, Any]]]:
    order = np.argsort(column, kind="stable")

    def pick(idx: Sequence[int], positive: bool) -> list[dict[str, Any]]:
        out = []
        for t in idx:
            c = float(column[t])
            if (c > 0) if positive else (c < 0):
                out.append(
                    {
                        "work": int(test_ids[t]),
                        "title": test_titles[t],
                        "label": test_labels[t],
                        "contribution": c,
                    }
                )
        return out

    return {
        "helped": pick(order[::-1][:TOP].tolist(), True),
        "hurt": pick(order[:TOP].tolist(), False),
    }


def per_label(column: FloatArray, test_labels: NDArray[Any]) -> dict[str, float]:
    """Contribution per test label; the parts sum to the member's value (mean over tests)."""
    n = column.size
    return {
        str(lab): float(column[test_labels == lab].sum() / n)
        for lab in sorted(set(test_labels.tolist()))
    }


def own_labels(
    work_values: FloatArray, shares: Sequence[float], labels: Sequence[str]
) -> dict[str, float]:
    """Contribution per label of the member's own works (for methods without a per-test split)."""
    out: dict[str, float] = {}
    for v, s, lab in zip(work_values, shares, labels, strict=True):
        out[lab] = out.get(lab, 0.0) + float(v) * s
    return dict(sorted(out.items()))


def sentence(
    *,
    works: int,
    value: float,
    stderr: float,
    rank: tuple[int, int, int],
    members: int,
    labels: dict[str, float],
    metric: str,
    efficient: bool = True,
) -> str:
    """``rank`` is (rank, lowest likely, highest likely) among ``members``. ``efficient``: the
    method's values add up to the model's score (Shapley values do; Banzhaf, Beta Shapley and
    leave-one-out values do not, so they are not said to add to it)."""
    place, low, high = rank
    share = f"{value:+.5f}" + (f" (± {stderr:.5f})" if stderr > 0 else "")
    where = f"rank {place} of {members}"
    where += f" (likely between {low} and {high})" if (low, high) != (place, place) else ""
    best = max(labels.items(), key=lambda kv: kv[1]) if labels else None
    worst = min(labels.items(), key=lambda kv: kv[1]) if labels else None
    why = ""
    if best and best[1] > 0:
        why = f"; they help most on {best[0]!r} examples"
        if worst and worst[1] < 0:
            why += f" and hurt most on {worst[0]!r}"
    elif worst and worst[1] < 0:
        why = f"; they hurt most on {worst[0]!r} examples"
    noun = "work" if works == 1 else "works"
    if efficient:
        return f"Your {works} {noun} add {share} to the model's {metric}, {where}{why}."
    return (
        f"Your {works} {noun} have a value of {share} in {metric} differences (this method's "
        f"values do not add up to the model's {metric}; compare them only with each other), "
        f"{where}{why}."
    )


CHART_FORMATS = ("svg", "png")


def chart(labels: dict[str, float], *, title: str, fmt: str = "svg") -> bytes:
    """A horizontal bar chart of the contribution per label (largest at the top), as SVG or
    PNG bytes."""
    from syndic.plotting import barh

    items = sorted(labels.items(), key=lambda kv: -kv[1])
    return barh(
        [k for k, _ in items],
        [v for _, v in items],
        title=title,
        xlabel="contribution to the value (utility units)",
        fmt=fmt,
        signed=True,
    )

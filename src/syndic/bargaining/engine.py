"""One leverage computation, from features and labels to curves, fits, the data strike, the
equivalent outside data and group leave-one-out. Pure: the service reads the pool and the
outside data and stores what this returns.

The works (pool first, in id order, then outside works in file order) are split once, by a
seeded stratified split, into an evaluation set (the builder's use) and training works. Three
arms draw training sets from the training works: ``outside`` (outside works only),
``outside+pool`` and ``pool`` (the coalition alone). Each arm is measured at geometric sizes up
to its whole training set, with ``seeds`` random subsets per size (the whole set once: every
seed would draw the same). Every index set used is returned, so it can be stored and exported.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from syndic.bargaining import scaling
from syndic.bargaining.curves import NEAREST, Nearest, Scored, Unit, nearest, score
from syndic.bargaining.params import MIN_EVAL_PER_CLASS, LeverageParams
from syndic.errors import LeverageError
from syndic.valuation.corpus import split
from syndic.valuation.executors import make_executor

ARMS = ("outside", "outside+pool", "pool")
WHOLE = -1  # the seed of a point trained on an arm's whole training set
STRIKE_BOOTSTRAP = 1000
NEAR_CHUNK = 512  # evaluation rows per nearest-neighbour query (a 512 x 27,000 block: 110 MB)
IntArray = NDArray[np.int64]
Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class Task:
    """Rows of ``x``: pool works, then outside works. ``holders[i]`` are pool row ``i``'s
    members (empty for outside rows)."""

    x: NDArray[np.float64]
    labels: list[str]
    is_pool: NDArray[np.bool_]
    holders: list[list[int]]

    def codes(self) -> tuple[IntArray, list[str]]:
        classes = sorted(set(self.labels))
        index = {c: i for i, c in enumerate(classes)}
        return np.asarray([index[v] for v in self.labels], dtype=np.int64), classes


@dataclass
class Computed:
    classes: list[str]
    counts: dict[str, int]
    points: list[dict[str, Any]]
    fits: dict[str, Any]
    strike: dict[str, Any]
    equivalent: dict[str, Any]
    groups: dict[str, Any]
    index_sets: dict[str, IntArray] = field(default_factory=dict)

    def result(self) -> dict[str, Any]:
        out: dict[str, Any] = finite(
            {
                "classes": self.classes,
                "counts": self.counts,
                "fits": self.fits,
                "strike": self.strike,
                "equivalent": self.equivalent,
                "groups": self.groups,
            }
        )
        return out
        return out


def finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float as None (JSON and the log hold no others);
    numpy scalars as Python numbers."""
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def geometric(low: int, high: int, n: int) -> list[int]:
    if high <= low:
        return [high]
    return sorted({round(v) for v in np.geomspace(low, high, n)})


def arm_sizes(params: LeverageParams, arm: str, available: int) -> list[int]:
    given = params.size_list()
    if given:
        if given[-1] > available:
            raise LeverageError(
                f"size {given[-1]:,} is larger than the {arm} arm's {available:,} training works"
            )
        return sorted({*given, available})
    return geometric(min(params.min_size, available), available, params.n_sizes)


def plan(task: Task, params: LeverageParams) -> dict[str, IntArray]:
    """Every index set the run trains or evaluates on, by name: ``eval``, ``arm/<arm>``,
    ``subset/<arm>/<size>/<seed>`` and ``group/<name>``."""
    y, classes = task.codes()
    train, evaluate = split(
        np.asarray(task.labels, dtype=object), test_fraction=params.eval_fraction, seed=params.seed
    )
    per_class = Counter(y[evaluate].tolist())
    thin = [classes[c] for c in range(len(classes)) if per_class.get(c, 0) < MIN_EVAL_PER_CLASS]
    if thin:
        raise LeverageError(
            f"the evaluation set has fewer than {MIN_EVAL_PER_CLASS} works of class(es) "
            f"{', '.join(thin[:5])}; give more data or a larger --eval-fraction"
        )
    sets: dict[str, IntArray] = {"eval": evaluate}
    pool_train = train[task.is_pool[train]]
    arms = {
        "outside": train[~task.is_pool[train]],
        "outside+pool": train,
        "pool": pool_train,
    }
    for arm, rows in arms.items():
        if rows.size < 2:
            raise LeverageError(f"the {arm} arm has {rows.size} training work(s); it needs 2")
        sets[f"arm/{arm}"] = rows
        code = ARMS.index(arm)
        for size in arm_sizes(params, arm, rows.size):
            if size == rows.size:
                sets[f"subset/{arm}/{size}/{WHOLE}"] = rows
                continue
            for s in range(params.seeds):
                rng = np.random.default_rng([params.seed, code, size, s])
                sets[f"subset/{arm}/{size}/{s}"] = np.sort(rng.choice(rows, size, replace=False))
    sets.update(_groups(task, y, classes, train=train, top=params.groups))
    return sets


def _groups(
    task: Task, y: IntArray, classes: list[str], *, train: IntArray, top: int
) -> dict[str, IntArray]:
    """``outside+pool`` without each of the ``top`` largest members' works, and without each
    of the ``top`` largest fields' pool works."""
    pool_train = train[task.is_pool[train]]
    held: Counter[int] = Counter(m for i in pool_train.tolist() for m in set(task.holders[i]))
    fields: Counter[int] = Counter(y[pool_train].tolist())
    out: dict[str, IntArray] = {}
    for m, _ in sorted(held.items(), key=lambda kv: (-kv[1], kv[0]))[:top]:
        drop = {i for i in pool_train.tolist() if m in task.holders[i]}
        out[f"group/member:{m}"] = np.asarray([i for i in train if i not in drop], np.int64)
    for c, _ in sorted(fields.items(), key=lambda kv: (-kv[1], kv[0]))[:top]:
        keep = ~(task.is_pool[train] & (y[train] == c))
        out[f"group/field:{classes[c]}"] = train[keep]
    return out


def _measure(
    task: Task, sets: dict[str, IntArray], params: LeverageParams, progress: Progress | None
) -> dict[tuple[str, str], Scored]:
    y, classes = task.codes()
    trained = [n for n in sets if n.startswith(("subset/", "group/"))]
    units = [(name, fam) for fam in params.family_list() for name in trained]
    executor = make_executor(params.executor, params.workers or None)
    near = _nearest(task, sets, executor) if "knn" in params.family_list() else None
    args = [
        (
            Unit(
                task.x,
                y,
                sets[name],
                sets["eval"],
                fam,
                params.k,
                len(classes),
                near if fam == "knn" else None,
            ),
        )
        for name, fam in units
    ]
    out: dict[tuple[str, str], Scored] = {}
    if progress:
        progress("fits", 0, len(units))
    for i, (unit, scored) in enumerate(zip(units, executor.map(score, args), strict=True)):
        out[unit] = scored
        if progress:
            progress("fits", i + 1, len(units))
    return out


def _nearest(task: Task, sets: dict[str, IntArray], executor: Any) -> Nearest:
    """Every evaluation row's nearest training rows (every training set is drawn from the
    ``outside+pool`` arm's), in chunks of evaluation rows through the executor."""
    evaluate, rows = sets["eval"], sets["arm/outside+pool"]
    chunks = np.array_split(evaluate, max(1, math.ceil(evaluate.size / NEAR_CHUNK)))
    found = executor.map(_nearest_chunk, [(task.x, c, rows) for c in chunks])
    return Nearest(np.vstack(list(found)))


def _nearest_chunk(x: NDArray[np.float64], evaluate: IntArray, rows: IntArray) -> NDArray[np.int32]:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return nearest(x, evaluate, rows, NEAREST).astype(np.int32)


def compute(task: Task, params: LeverageParams, *, progress: Progress | None = None) -> Computed:
    sets = plan(task, params)
    sizes_o = sets["arm/outside"].size
    too_far = params.builder_size > scaling.MAX_EXTRAPOLATION * sizes_o
    if too_far and not params.extrapolate:
        raise LeverageError(
            f"builder size {params.builder_size:,} is more than "
            f"{scaling.MAX_EXTRAPOLATION:g}x the outside data measured ({sizes_o:,}): "
            "that is extrapolation; ask for it with --extrapolate"
        )
    scored = _measure(task, sets, params, progress)
    _, classes = task.codes()
    points = _points(sets, scored, params)
    fits = _all_fits(points, params)
    c = Computed(
        classes=classes,
        counts={
            "pool": int(task.is_pool.sum()),
            "outside": int((~task.is_pool).sum()),
            "eval": int(sets["eval"].size),
            **{f"train_{a}": int(sets[f"arm/{a}"].size) for a in ARMS},
        },
        points=points,
        fits={
            f: {a: {m: v.summary() for m, v in ms.items()} for a, ms in fa.items()}
            for f, fa in fits.items()
        },
        strike={},
        equivalent={},
        groups={},
        index_sets=sets,
    )
    for fam in params.family_list():
        c.strike[fam] = _strike(sets, scored, fits[fam], fam, params)
        c.equivalent[fam] = _equivalent(sets, scored, fits[fam], fam, params)
        c.groups[fam] = _group_losses(sets, scored, fam, params)
    return c


def _points(
    sets: dict[str, IntArray], scored: dict[tuple[str, str], Scored], params: LeverageParams
) -> list[dict[str, Any]]:
    out = []
    for (name, fam), s in scored.items():
        if not name.startswith("subset/"):
            continue
        _, arm, size, seed = name.split("/")
        out.append(
            {
                "family": fam,
                "arm": arm,
                "size": int(size),
                "seed": int(seed),
                "accuracy": s.accuracy,
                "log_loss": s.log_loss,
                "set": name,
            }
        )
    out.sort(key=lambda p: (p["family"], ARMS.index(p["arm"]), p["size"], p["seed"]))
    return out


def curve(
    points: list[dict[str, Any]], fam: str, arm: str, metric: str, seeds: int
) -> scaling.Curve:
    """The points of one arm as a curve of errors (1 - accuracy, or the log loss); the
    whole-arm point counts once for every seed."""
    sizes = sorted({p["size"] for p in points if p["family"] == fam and p["arm"] == arm})
    rows = []
    for size in sizes:
        vals = [
            (1 - p["accuracy"]) if metric == "error" else p["log_loss"]
            for p in points
            if p["family"] == fam and p["arm"] == arm and p["size"] == size
        ]
        rows.append(vals * seeds if len(vals) == 1 else vals)
    return scaling.Curve(np.asarray(sizes, dtype=np.float64), np.asarray(rows, dtype=np.float64))


def _fit_one(curve: scaling.Curve, seed: int) -> scaling.Fit:
    return scaling.fit(curve, seed=seed)


def _all_fits(
    points: list[dict[str, Any]], params: LeverageParams
) -> dict[str, dict[str, dict[str, scaling.Fit]]]:
    """Every (family, arm, metric) curve fitted and bootstrapped, through the executor."""
    keys = [(f, a, m) for f in params.family_list() for a in ARMS for m in ("error", "log_loss")]
    args = [(curve(points, f, a, m, params.seeds), params.seed) for f, a, m in keys]
    executor = make_executor(params.executor, params.workers or None)
    out: dict[str, dict[str, dict[str, scaling.Fit]]] = {}
    for (f, a, m), fitted in zip(keys, executor.map(_fit_one, args), strict=True):
        out.setdefault(f, {}).setdefault(a, {})[m] = fitted
    return out


@functools.lru_cache(maxsize=2)
def _resamples(seed: int, n: int) -> NDArray[np.float64]:
    """The paired bootstrap's resamples of ``n`` evaluation works, drawn once per run (every
    pair is resampled alike): row ``r`` weighs each work by how often resample ``r`` drew it,
    over ``n``, so ``weights @ v`` is each resample's mean of ``v``."""
    pick = np.random.default_rng(seed).integers(0, n, size=(STRIKE_BOOTSTRAP, n))
    cells = (np.arange(STRIKE_BOOTSTRAP)[:, None] * n + pick).ravel()
    weights = np.bincount(cells, minlength=STRIKE_BOOTSTRAP * n).reshape(STRIKE_BOOTSTRAP, n) / n
    weights.setflags(write=False)
    return weights


def _paired(a: Scored, b: Scored, seed: int) -> dict[str, Any]:
    """What ``b`` loses against ``a``: accuracy points (``a`` minus ``b``) and log loss (``b``
    minus ``a``), with 95% intervals from a paired bootstrap over the evaluation works."""
    weights = _resamples(seed, a.correct.size)
    dacc = a.correct.astype(np.float64) - b.correct.astype(np.float64)
    dloss = b.loss - a.loss
    acc_boot = 100 * (weights @ dacc)
    loss_boot = weights @ dloss
    return {
        "accuracy_points": 100 * float(dacc.mean()),
        "accuracy_points_interval": [float(v) for v in np.percentile(acc_boot, [2.5, 97.5])],
        "log_loss": float(dloss.mean()),
        "log_loss_interval": [float(v) for v in np.percentile(loss_boot, [2.5, 97.5])],
    }


def _whole(sets: dict[str, IntArray], arm: str) -> str:
    return f"subset/{arm}/{sets[f'arm/{arm}'].size}/{WHOLE}"


def _strike(
    sets: dict[str, IntArray],
    scored: dict[tuple[str, str], Scored],
    fits: dict[str, dict[str, scaling.Fit]],
    fam: str,
    params: LeverageParams,
) -> dict[str, Any]:
    """What the builder loses without the pool: measured at the outside data's size, or read
    off both fitted curves at ``--builder-size``."""
    n_o = int(sets["arm/outside"].size)
    n_p = int(sets["arm/pool"].size)
    if not params.builder_size:
        with_pool = scored[(_whole(sets, "outside+pool"), fam)]
        without = scored[(_whole(sets, "outside"), fam)]
        return {
            "builder_size": n_o,
            "basis": "measured: the outside+pool arm and the outside arm, each trained on all "
            "of its training works, scored on the same evaluation works",
            "with_pool_accuracy": with_pool.accuracy,
            "without_pool_accuracy": without.accuracy,
            **_paired(with_pool, without, params.seed),
        }
    n = params.builder_size
    fo, fop = fits["outside"]["error"], fits["outside+pool"]["error"]
    if not (fo.usable and fop.usable):
        return {
            "builder_size": n,
            "accuracy_points": None,
            "words": "not read off: " + "; ".join([*fo.flags, *fop.flags]),
        }
    e_o, *_ = fo.predict(n, extrapolate=params.extrapolate)
    e_op, *_ = fop.predict(n + n_p, extrapolate=params.extrapolate)
    boot_o = scaling.power_law(n, *fo.boot.T)
    boot_op = scaling.power_law(n + n_p, *fop.boot.T)
    m = min(len(boot_o), len(boot_op))
    diff = 100 * (np.asarray(boot_o[:m]) - np.asarray(boot_op[:m]))
    beyond = max(n / fo.max_size, (n + n_p) / fop.max_size)
    return {
        "builder_size": n,
        "basis": "read off the fitted error curves: outside at the builder's size, "
        "outside+pool at the builder's size plus the pool",
        "label": _reach(beyond),
        "with_pool_accuracy": 1 - e_op,
        "without_pool_accuracy": 1 - e_o,
        "accuracy_points": 100 * (e_o - e_op),
        "accuracy_points_interval": [float(v) for v in np.percentile(diff, [2.5, 97.5])],
    }


def _reach(ratio: float) -> str:
    if ratio <= 1:
        return "within the measured sizes"
    if ratio <= scaling.MAX_EXTRAPOLATION:
        return f"read off the curve up to {ratio:.1f}x the largest measured size"
    return f"extrapolation: {ratio:.1f}x the largest measured size (asked for)"


def _equivalent(
    sets: dict[str, IntArray],
    scored: dict[tuple[str, str], Scored],
    fits: dict[str, dict[str, scaling.Fit]],
    fam: str,
    params: LeverageParams,
) -> dict[str, Any]:
    """How many more outside works reach, on the outside arm's fitted error curve, the error
    the builder measures with the pool."""
    fo = fits["outside"]["error"]
    n_o = int(sets["arm/outside"].size)
    target = 1 - scored[(_whole(sets, "outside+pool"), fam)].accuracy
    base: dict[str, Any] = {"target_error": target, "outside_size": n_o, "extra_works": None}
    if not fo.usable:
        return {**base, "words": "the outside curve cannot be read off: " + "; ".join(fo.flags)}
    n_star = fo.size_for(target)
    if math.isinf(n_star):
        return {
            **base,
            "words": f"on the fitted curve the outside data never reaches that error (its floor "
            f"is {fo.a:.4f}): no amount of outside data replaces the pool",
        }
    ratio = n_star / fo.max_size
    if ratio > scaling.MAX_EXTRAPOLATION and not params.extrapolate:
        return {
            **base,
            "words": f"more than {scaling.MAX_EXTRAPOLATION:g}x the outside data measured would "
            "be needed; not extrapolated (ask with --extrapolate)",
            "at_least": scaling.MAX_EXTRAPOLATION * fo.max_size - n_o,
        }
    boot = fo.sizes_for(target) - n_o
    finite = boot[np.isfinite(boot)]
    low, high = (
        (float(np.percentile(finite, 2.5)), float(np.percentile(finite, 97.5)))
        if finite.size
        else (math.nan, math.nan)
    )
    return {
        **base,
        "extra_works": max(0.0, n_star - n_o),
        "extra_works_interval": [max(0.0, low), high if finite.size == boot.size else math.inf],
        "label": _reach(ratio),
        "words": f"about {max(0.0, n_star - n_o):,.0f} more outside works ({_reach(ratio)})",
    }


def _group_losses(
    sets: dict[str, IntArray],
    scored: dict[tuple[str, str], Scored],
    fam: str,
    params: LeverageParams,
) -> list[dict[str, Any]]:
    full = scored[(_whole(sets, "outside+pool"), fam)]
    out = []
    for name, rows in sets.items():
        if not name.startswith("group/"):
            continue
        removed = int(sets["arm/outside+pool"].size - rows.size)
        loss = _paired(full, scored[(name, fam)], params.seed)
        out.append({"group": name.removeprefix("group/"), "works": removed, **loss})
    return out

"""``syndic leverage export``: the exact feature matrix, labels and index sets a run used, as
one ``.npz``, with the stored points and a README that says how to recompute every point with
scikit-learn alone. The other side of the table needs nothing of ours."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from syndic.bargaining.curves import EPSILON, LINEAR_C, LINEAR_MAX_ITER
from syndic.bargaining.views import LeverageRunView
from syndic.storage.files import make_dir, write_output

if TYPE_CHECKING:
    from syndic.bargaining.engine import Task

README = """# Leverage run {run}: the data to recompute it

`leverage-run-{run}.npz` (numpy, `np.load(path)`) holds:

- `x`: the feature matrix, one row per work ({rows} x {dims}, float64; SHA-256 of its shape and
  bytes: `{features_digest}`); rows are pool works first (id order), then outside works;
- `y`: each row's class code; `classes`: the class names, by code;
- `items`: each row's identity, `work:<pool work id>` or `outside:<id in the outside file>`;
- `set/eval`: the evaluation rows (the builder's use);
- `set/arm/<arm>`: each arm's training rows (`outside`, `outside+pool`, `pool`);
- `set/subset/<arm>/<size>/<seed>`: the training rows of each measured point (seed `-1`: the
  arm's whole training set);
- `set/group/<member:ID | field:NAME>`: `outside+pool` without that member's or field's works.

`points.json` holds every point the run measured (`family`, `arm`, `size`, `seed`, `accuracy`,
`log_loss`, and `set`, the name of its training rows) and what was read off them.

## Recomputing a point

For a point with training rows `t = z["set/" + point["set"]]` and `e = z["set/eval"]`:

- family `linear`: `LogisticRegression(C={c}, max_iter={max_iter})`;
- family `knn`: `KNeighborsClassifier(n_neighbors=min({k}, len(t)), algorithm="brute")`;

fit on `x[t], y[t]` (Syndic finds the knn family's neighbours without the estimator, from
one nearest-neighbour query per evaluation work over all training works: the same neighbours,
up to exact ties in distance); take `predict_proba(x[e])`, placed in the columns of `model.classes_`
among all {n_classes} classes (0 elsewhere), mixed as `p = (1 - {eps}) * p + {eps} / {n_classes}`.
Accuracy is the mean of `p.argmax(1) == y[e]`; log loss the mean of `-log(p[i, y[e][i]])`. (A
training set of one class predicts that class with probability `1 - {eps} + {eps} / C`.)

The data strike at the builder's size is the `outside+pool` point on its whole arm minus the
`outside` point on its whole arm (accuracy points = 100 x the difference).
"""


def write_export(
    run: LeverageRunView,
    task: Task,
    sets: dict[str, NDArray[np.int64]],
    items: list[str],
    out: Path,
) -> list[Path]:
    make_dir(out)
    y, classes = task.codes()
    arrays: dict[str, NDArray[object]] = {  # type: ignore[type-var]
        "x": task.x,
        "y": y,
        "classes": np.asarray(classes, dtype=str),
        "items": np.asarray(items, dtype=str),
    }
    for name, idx in sets.items():
        arrays["set/" + name] = idx
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)  # type: ignore[arg-type]
    npz = write_output(out / f"leverage-run-{run.id}.npz", buf.getvalue(), atomic=True)
    points = write_output(
        out / "points.json",
        json.dumps({"run": run.id, "points": run.points, "result": run.result}, indent=1) + "\n",
    )
    readme = write_output(
        out / "README.md",
        README.format(
            run=run.id,
            rows=task.x.shape[0],
            dims=task.x.shape[1],
            features_digest=run.features_digest,
            c=LINEAR_C,
            max_iter=LINEAR_MAX_ITER,
            k=run.params["k"],
            n_classes=len(classes),
            eps=EPSILON,
        ),
    )
    return [npz, points, readme]

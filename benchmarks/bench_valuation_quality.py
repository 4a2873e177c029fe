"""Valuation quality: noisy-label detection and point removal, per method, Syndic vs pyDVL 0.10.

10% of the training labels are flipped (to another class, seeded). A method is good at finding
them when the flipped points get low values: AUROC of (-value) against "was flipped", and F1 of
the low-value cluster (2-means on the values, the cluster with the lower mean is called noisy).
Point removal: drop the highest-valued (or lowest-valued, or random) training points, retrain
the model, and measure test accuracy; removing valuable data first should hurt most.

Data: arXiv strat25k (TF-IDF + SVD, 64 dims; label = field) and scikit-learn's digits. Exact
KNN-Shapley runs at full size on strat25k (20,000 train / 5,000 test) and digits (1,200 / 597);
the sampled methods, with a KNN (K=5) utility, on 300 training and 300 test points of each,
both libraries serially (ours executor="serial", pyDVL's default n_jobs=1), with the same
sampling budgets: TMC and Beta the same number of permutations, MSR Banzhaf the same number of
trained models (pyDVL's MSR trains two per update, so it gets half as many updates). The table
counts the models each run really trained (ours: ModelUtility.fits; pyDVL: its scorer calls):
our Beta(16, 1) skips positions whose weight is negligible, and TMC truncates. Beta runs with
head=0 (plain permutation sampling, as pyDVL's), not the default's strata for the first positions.

    .venv/bin/python benchmarks/bench_valuation_quality.py
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import f1_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from valuation_common import digits, machine, run_pydvl, strat25k

from syndic.valuation import (
    Banzhaf,
    BetaShapley,
    KNNShapley,
    LeaveOneOut,
    MaxUpdates,
    ModelUtility,
    TMCShapley,
)

DOCS = Path(__file__).resolve().parents[1] / "docs" / "bench"
K = 5
FLIP = 0.10
SMALL = 300
BUDGET = {"tmc": 100, "msr": 3000, "beta": 100}  # permutations; MSR: trained models
PYDVL_UPDATES = {"tmc": 100, "msr": 1500, "beta": 100}  # pyDVL's MSR: two fits per update
FRACTIONS = np.linspace(0, 0.5, 11)


def flip(y: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    classes = np.unique(y)
    idx = rng.choice(y.size, size=round(FLIP * y.size), replace=False)
    noisy = y.copy()
    for i in idx:
        noisy[i] = rng.choice(classes[classes != y[i]])
    flipped = np.zeros(y.size, dtype=bool)
    flipped[idx] = True
    return noisy, flipped


def detection(values: np.ndarray, flipped: np.ndarray) -> tuple[float, float]:
    auroc = roc_auc_score(flipped, -values)
    km = KMeans(n_clusters=2, n_init=10, random_state=0).fit(values.reshape(-1, 1))
    low = int(np.argmin(km.cluster_centers_.ravel()))
    return float(auroc), float(f1_score(flipped, km.labels_ == low))


def removal(values, x, y, xt, yt) -> dict[str, list[float]]:  # type: ignore[no-untyped-def]
    n = y.size
    order_high = np.argsort(-values, kind="stable")
    curves: dict[str, list[float]] = {"high first": [], "low first": [], "random": []}
    rngs = [np.random.default_rng(s) for s in range(5)]
    perms = [r.permutation(n) for r in rngs]
    for f in FRACTIONS:
        drop = round(f * n)

        def acc(keep: np.ndarray) -> float:
            return float(KNeighborsClassifier(K).fit(x[keep], y[keep]).score(xt, yt))

        curves["high first"].append(acc(order_high[drop:]))
        curves["low first"].append(acc(order_high[: n - drop]))
        curves["random"].append(float(np.mean([acc(p[drop:]) for p in perms])))
    return curves


def plot(curves: dict[str, dict[str, list[float]]], title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(curves), figsize=(4 * len(curves), 3.2), squeeze=False)
    for ax, (method, c) in zip(axes[0], curves.items(), strict=True):
        for name, ys in c.items():
            ax.plot(FRACTIONS * 100, ys, marker=".", label=name)
        ax.set_title(method)
        ax.set_xlabel("% of training data removed")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("test accuracy (KNN, K=5)")
    axes[0][0].legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def evaluate(name: str, x, y, xt, yt, small_x, small_y, small_xt, small_yt) -> None:  # type: ignore[no-untyped-def]
    rows = []
    curves: dict[str, dict[str, list[float]]] = {}
    noisy, flipped = flip(y)
    t = time.perf_counter()
    v = KNNShapley(k=K).fit(x, noisy, xt, yt).result.values
    rows.append(
        ("knn-shapley (full)", "ours", *detection(v, flipped), "-", time.perf_counter() - t)
    )
    curves["KNN-Shapley (full)"] = removal(v, x, noisy, xt, yt)
    rep = run_pydvl({"kind": "knn", "k": K}, {"x": x, "y": noisy, "xt": xt, "yt": yt})
    rows.append(
        ("knn-shapley (full)", "pyDVL", *detection(rep["values"], flipped), "-", rep["seconds"])
    )

    sn, sflip = flip(small_y, seed=1)
    model = KNeighborsClassifier(K)
    arrays = {"x": small_x, "y": sn, "xt": small_xt, "yt": small_yt}
    serial = {"executor": "serial"}
    ours = {
        "tmc": lambda: TMCShapley(stop=MaxUpdates(BUDGET["tmc"]), seed=0, **serial),
        "msr": lambda: Banzhaf(stop=MaxUpdates(BUDGET["msr"]), seed=0, chunk=100, **serial),
        # head=0: plain permutation sampling, as pyDVL runs it (the default's strata for the
        # first positions add fits on small coalitions; docs/valuation.md)
        "beta": lambda: BetaShapley(stop=MaxUpdates(BUDGET["beta"]), seed=0, head=0, **serial),
        "loo": lambda: LeaveOneOut(**serial),
    }
    labels = {"tmc": "tmc-shapley", "msr": "banzhaf-msr", "beta": "beta-shapley(16,1)"}
    for kind, make in ours.items():
        label = f"{labels.get(kind, kind)} ({SMALL})"
        u = ModelUtility(model, small_x, sn, small_xt, small_yt)
        t = time.perf_counter()
        v = make().fit_game(u).result.values
        rows.append((label, "ours", *detection(v, sflip), u.fits, time.perf_counter() - t))
        if kind in ("tmc", "msr"):
            curves[label] = removal(v, small_x, sn, small_xt, small_yt)
        job = {"kind": kind, "model": "knn", "k": K, "updates": PYDVL_UPDATES.get(kind, 1)}
        if kind == "tmc":
            job["truncation"] = 0.01
        rep = run_pydvl(job, arrays)
        rows.append(
            (label, "pyDVL", *detection(rep["values"], sflip), rep["evaluations"], rep["seconds"])
        )
    v = KNNShapley(k=K).fit(small_x, sn, small_xt, small_yt).result.values
    rows.append((f"knn-shapley ({SMALL})", "ours", *detection(v, sflip), "-", 0.0))

    print(f"\n### {name}\n")
    print("| method | library | AUROC | F1 (low-value cluster) | models trained | seconds |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]:.3f} | {r[3]:.3f} | {r[4]} | {r[5]:.1f} |", flush=True)
    print("\nremoval at 20% (accuracy; high first / low first / random):")
    i20 = int(np.argmin(np.abs(FRACTIONS - 0.2)))
    for method, c in curves.items():
        print(
            f"- {method}: {c['high first'][i20]:.3f} / {c['low first'][i20]:.3f} / "
            f"{c['random'][i20]:.3f} (no removal: {c['random'][0]:.3f})"
        )
    out = DOCS / f"valuation-removal-{name.split(maxsplit=1)[0].lower()}.png"
    plot(curves, f"Point removal, {name} (10% labels flipped)", out)
    print(f"plot: docs/bench/{out.name}")


def main() -> None:
    print(f"machine: {machine()}")
    DOCS.mkdir(parents=True, exist_ok=True)
    xa, ya, _ = strat25k()
    x, xt, y, yt = train_test_split(xa, ya, test_size=5000, random_state=0, stratify=ya)
    sx, sxt, sy, syt = train_test_split(
        xa, ya, train_size=SMALL, test_size=SMALL, random_state=1, stratify=ya
    )
    evaluate("strat25k (arXiv, TF-IDF+SVD 64)", x, y, xt, yt, sx, sy, sxt, syt)
    xd, yd = digits()
    x, xt, y, yt = train_test_split(xd, yd, test_size=597, random_state=0, stratify=yd)
    sx, sxt, sy, syt = train_test_split(
        xd, yd, train_size=SMALL, test_size=SMALL, random_state=1, stratify=yd
    )
    evaluate("digits (scikit-learn)", x, y, xt, yt, sx, sy, sxt, syt)


if __name__ == "__main__":
    main()

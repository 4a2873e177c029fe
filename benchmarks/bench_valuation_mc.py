"""Monte-Carlo valuation: time per utility evaluation, Syndic vs pyDVL 0.10, same model.

The cost of a utility evaluation is one model fit plus one score on the test set. "Model
only" times exactly that in a plain loop over the same subsets; a method's overhead is how
much more each evaluation costs inside it. Both libraries run serially here (pyDVL's default,
joblib n_jobs=1), on sklearn's digits (train/test from a seeded split).

    .venv/bin/python benchmarks/bench_valuation_mc.py
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from valuation_common import digits, machine, run_pydvl

from syndic.valuation import Banzhaf, MaxUpdates, TMCShapley

N_TRAIN, N_TEST = 200, 300
MSR_UPDATES = 1000
TMC_PERMUTATIONS = 5


def model_only(model, x, y, xt, yt, subsets) -> float:  # type: ignore[no-untyped-def]
    """Seconds per evaluation for fit + score alone (subsets of one class score a constant,
    as both libraries do without training; those are skipped here too)."""
    t = time.perf_counter()
    for idx in subsets:
        if np.unique(y[idx]).size < 2 or idx.size < 5:
            continue
        clone(model).fit(x[idx], y[idx]).score(xt, yt)
    return (time.perf_counter() - t) / len(subsets)


def main() -> None:
    print(f"machine: {machine()}")
    x, y = digits()
    x, xt, y, yt = train_test_split(
        x, y, train_size=N_TRAIN, test_size=N_TEST, random_state=0, stratify=y
    )
    arrays = {"x": x, "y": y, "xt": xt, "yt": yt}
    rng = np.random.default_rng(0)
    msr_subsets = [np.flatnonzero(rng.random(N_TRAIN) < 0.5) for _ in range(MSR_UPDATES)]
    perms = [rng.permutation(N_TRAIN) for _ in range(TMC_PERMUTATIONS)]
    tmc_subsets = [p[: i + 1] for p in perms for i in range(N_TRAIN)]
    print(
        f"digits: {N_TRAIN} train / {N_TEST} test; MSR {MSR_UPDATES} coalitions; TMC "
        f"{TMC_PERMUTATIONS} permutations x {N_TRAIN} (no truncation); ms per evaluation\n"
    )
    print("| model | method | model only | ours | ours overhead | pyDVL 0.10 | pyDVL overhead |")
    print("|---|---|---|---|---|---|---|")
    for name, model in (
        ("knn", KNeighborsClassifier(n_neighbors=5)),
        ("logistic", LogisticRegression(max_iter=1000)),
    ):
        for method, subsets in (("msr-banzhaf", msr_subsets), ("tmc-shapley", tmc_subsets)):
            raw = model_only(model, x, y, xt, yt, subsets)
            t = time.perf_counter()
            if method == "msr-banzhaf":
                Banzhaf(model, stop=MaxUpdates(MSR_UPDATES), executor="serial", chunk=50).fit(
                    x, y, xt, yt
                )
            else:
                TMCShapley(
                    model, stop=MaxUpdates(TMC_PERMUTATIONS), executor="serial", truncation=0.0
                ).fit(x, y, xt, yt)
            ours = (time.perf_counter() - t) / len(subsets)
            job = {
                "kind": "msr" if method == "msr-banzhaf" else "tmc",
                "model": name,
                "k": 5,
                "updates": MSR_UPDATES if method == "msr-banzhaf" else TMC_PERMUTATIONS,
                "truncation": 0,
            }
            rep = run_pydvl(job, arrays)
            theirs = rep["seconds"] / len(subsets)
            print(
                f"| {name} | {method} | {raw * 1e3:.2f} | {ours * 1e3:.2f} | "
                f"{(ours / raw - 1) * 100:+.0f}% | {theirs * 1e3:.2f} | "
                f"{(theirs / raw - 1) * 100:+.0f}% |",
                flush=True,
            )


if __name__ == "__main__":
    main()

"""Monte-Carlo valuation: time per model fit, Syndic vs pyDVL 0.10, same model, same fits.

The cost of a utility evaluation is one model fit plus one score on the test set. "Model
only" times exactly that in a plain loop over the same kind of subsets; a method's overhead is
how much more each trained model costs inside it. Every figure is seconds divided by the number
of models that run really trained (ours: ``ModelUtility.fits``; pyDVL: calls of its scorer,
which it makes once per trained model; model only: the loop's fits), so a method that trains
two models per update is not flattered. pyDVL's MSR Banzhaf trains two models per update
(``MaxUpdates(n)`` gives 2n fits), so it gets half as many updates as our coalitions, for the
same number of fits. Both libraries run serially (pyDVL's default, joblib n_jobs=1), on
sklearn's digits (train/test from a seeded split).

    .venv/bin/python benchmarks/bench_valuation_mc.py [--rounds 3]

Each row is measured ``--rounds`` times (model only, ours, pyDVL back to back in each round);
the table gives min-max over rounds of every figure, and of each overhead taken within a round.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from valuation_common import digits, machine, run_pydvl

from syndic.valuation import Banzhaf, MaxUpdates, ModelUtility, TMCShapley

N_TRAIN, N_TEST = 200, 300
MSR_FITS = 1000  # coalitions for us; pyDVL's MSR gets MSR_FITS // 2 updates (two fits each)
TMC_PERMUTATIONS = 5


def model_only(model, x, y, xt, yt, subsets) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    """(seconds per fit, fits) for fit + score alone, on the subsets a method would train on
    (at least two classes; KNN with fewer points than K uses them all)."""
    fits = 0
    t = time.perf_counter()
    for idx in subsets:
        if np.unique(y[idx]).size < 2:
            continue
        m = clone(model)
        if "n_neighbors" in m.get_params() and m.get_params()["n_neighbors"] > idx.size:
            m.set_params(n_neighbors=int(idx.size))
        m.fit(x[idx], y[idx]).score(xt, yt)
        fits += 1
    return (time.perf_counter() - t) / fits, fits


def span(xs: list[float], fmt: str) -> str:
    return f"{format(min(xs), fmt)} - {format(max(xs), fmt)}" if len(xs) > 1 else format(xs[0], fmt)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    rounds = ap.parse_args().rounds
    print(f"machine: {machine()}; {rounds} rounds")
    x, y = digits()
    x, xt, y, yt = train_test_split(
        x, y, train_size=N_TRAIN, test_size=N_TEST, random_state=0, stratify=y
    )
    arrays = {"x": x, "y": y, "xt": xt, "yt": yt}
    rng = np.random.default_rng(0)
    msr_subsets = [np.flatnonzero(rng.random(N_TRAIN) < 0.5) for _ in range(MSR_FITS)]
    perms = [rng.permutation(N_TRAIN) for _ in range(TMC_PERMUTATIONS)]
    tmc_subsets = [p[: i + 1] for p in perms for i in range(N_TRAIN)]
    print(
        f"digits: {N_TRAIN} train / {N_TEST} test; MSR {MSR_FITS} fits (ours: {MSR_FITS} "
        f"coalitions; pyDVL: {MSR_FITS // 2} updates of two fits); TMC {TMC_PERMUTATIONS} "
        f"permutations x {N_TRAIN} (no truncation); ms per trained model\n"
    )
    print(
        "| model | method | model only | ours | ours overhead | pyDVL 0.10 | pyDVL overhead "
        "| fits: model only / ours / pyDVL |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, model in (
        ("knn", KNeighborsClassifier(n_neighbors=5)),
        ("logistic", LogisticRegression(max_iter=1000)),
    ):
        for method, subsets in (("msr-banzhaf", msr_subsets), ("tmc-shapley", tmc_subsets)):
            raws, ourss, theirss, fits = [], [], [], set()
            for _ in range(rounds):
                raw, raw_fits = model_only(model, x, y, xt, yt, subsets)
                u = ModelUtility(model, x, y, xt, yt)
                t = time.perf_counter()
                if method == "msr-banzhaf":
                    Banzhaf(stop=MaxUpdates(MSR_FITS), executor="serial", chunk=50).fit_game(u)
                else:
                    TMCShapley(
                        stop=MaxUpdates(TMC_PERMUTATIONS), executor="serial", truncation=0.0
                    ).fit_game(u)
                ours = (time.perf_counter() - t) / u.fits
                job = {
                    "kind": "msr" if method == "msr-banzhaf" else "tmc",
                    "model": name,
                    "k": 5,
                    "updates": MSR_FITS // 2 if method == "msr-banzhaf" else TMC_PERMUTATIONS,
                    "truncation": 0,
                }
                rep = run_pydvl(job, arrays)
                raws.append(raw * 1e3)
                ourss.append(ours * 1e3)
                theirss.append(rep["seconds"] / rep["evaluations"] * 1e3)
                fits.add(f"{raw_fits} / {u.fits} / {rep['evaluations']}")
            ours_over = [(o / r - 1) * 100 for o, r in zip(ourss, raws, strict=True)]
            their_over = [(o / r - 1) * 100 for o, r in zip(theirss, raws, strict=True)]
            print(
                f"| {name} | {method} | {span(raws, '.2f')} | {span(ourss, '.2f')} | "
                f"{span(ours_over, '+.0f')}% | {span(theirss, '.2f')} | "
                f"{span(their_over, '+.0f')}% | {', '.join(sorted(fits))} |",
                flush=True,
            )
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

"""Runs inside benchmarks/.venv-pydvl (pyDVL 0.10, numpy<2); never imports syndic.

argv[1] is a JSON job: {"kind": ..., "data": npz path, "result": npz path, ...}. Prints one
JSON line with timings; writes values (in training-index order) to the result file.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")


def _datasets(d):  # type: ignore[no-untyped-def]
    from pydvl.valuation.dataset import Dataset

    return Dataset(d["x"], d["y"]), Dataset(d["xt"], d["yt"])


def _values(result, n):  # type: ignore[no-untyped-def]
    out = np.zeros(n)
    out[np.asarray(result.indices, dtype=int)] = result.values
    return out


def _model(name, k):  # type: ignore[no-untyped-def]
    if name == "logistic":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(max_iter=1000)
    from sklearn.neighbors import KNeighborsClassifier

    return KNeighborsClassifier(n_neighbors=k)


class Counting:
    """A scorer callable that counts its calls (= utility evaluations that trained a model)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, model, x, y):  # type: ignore[no-untyped-def]
        self.calls += 1
        return float(model.score(x, y))


def main() -> None:
    job = json.loads(sys.argv[1])
    d = np.load(job["data"], allow_pickle=False)
    train, test = _datasets(d)
    n = len(d["y"])
    from joblib import parallel_config

    report: dict = {"kind": job["kind"], "n_jobs": job.get("n_jobs", 1)}
    t = time.perf_counter()
    with parallel_config(n_jobs=job.get("n_jobs", 1)):
        if job["kind"] == "knn":
            from pydvl.valuation.methods.knn_shapley import KNNShapleyValuation
            from sklearn.neighbors import KNeighborsClassifier

            v = KNNShapleyValuation(
                KNeighborsClassifier(n_neighbors=job["k"]), test, progress=False
            )
            v.fit(train)
        else:
            from pydvl.valuation.methods.banzhaf import MSRBanzhafValuation
            from pydvl.valuation.methods.beta_shapley import BetaShapleyValuation
            from pydvl.valuation.methods.loo import LOOValuation
            from pydvl.valuation.methods.shapley import TMCShapleyValuation
            from pydvl.valuation.samplers import (
                NoTruncation,
                PermutationSampler,
                RelativeTruncation,
            )
            from pydvl.valuation.scorers import SupervisedScorer
            from pydvl.valuation.stopping import MaxUpdates
            from pydvl.valuation.utility import ModelUtility

            counter = Counting()
            scorer = SupervisedScorer(counter, test, default=0.0, range=(0.0, 1.0))
            u = ModelUtility(_model(job["model"], job.get("k", 5)), scorer)
            stop = MaxUpdates(job.get("updates", 10))
            seed = job.get("seed", 0)
            if job["kind"] == "msr":
                v = MSRBanzhafValuation(u, is_done=stop, seed=seed, progress=False)
            elif job["kind"] == "tmc":
                trunc = (
                    RelativeTruncation(rtol=job["truncation"])
                    if job.get("truncation")
                    else NoTruncation()
                )
                v = TMCShapleyValuation(u, truncation=trunc, is_done=stop, seed=seed)
            elif job["kind"] == "beta":
                v = BetaShapleyValuation(
                    u,
                    sampler=PermutationSampler(seed=seed),
                    is_done=stop,
                    alpha=job.get("alpha", 16.0),
                    beta=job.get("beta", 1.0),
                )
            elif job["kind"] == "loo":
                v = LOOValuation(u)
            else:
                raise SystemExit(f"unknown job {job['kind']}")
            v.fit(train)
            report["evaluations"] = counter.calls
    report["seconds"] = time.perf_counter() - t
    report["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    np.savez(job["result"], values=_values(v.result, n))
    import pydvl

    report["pydvl"] = pydvl.__version__
    report["numpy"] = np.__version__
    print(json.dumps(report))


if __name__ == "__main__":
    main()

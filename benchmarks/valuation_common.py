"""Shared by the valuation benchmarks: data sets, the pyDVL side-by-side runner, peak memory.

pyDVL 0.10 pins numpy<2, so it lives in its own venv (benchmarks/.venv-pydvl, created here on
first use with ``pip install pydvl==0.10.0``) and runs in a subprocess on the very same arrays,
passed through an .npz file.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
PYDVL_VENV = HERE / ".venv-pydvl"
PYDVL_PY = PYDVL_VENV / "bin" / "python"
RUNNER = HERE / "pydvl_runner.py"


def shared_dir() -> Path:
    env = os.environ.get("SYNDIC_SHARED_DIR")
    for c in [Path(env)] if env else [HERE.parent.parent / "shared", Path("/work/shared")]:
        if (c / "data" / "arxiv").is_dir():
            return c
    raise SystemExit("cannot find shared/ (set SYNDIC_SHARED_DIR)")


def ensure_pydvl() -> Path:
    if not PYDVL_PY.exists():
        print("creating benchmarks/.venv-pydvl with pydvl==0.10.0 ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(PYDVL_VENV)], check=True)
        subprocess.run([str(PYDVL_PY), "-m", "pip", "install", "-q", "pydvl==0.10.0"], check=True)
    return PYDVL_PY


def run_pydvl(job: dict[str, Any], arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """Run one pyDVL job in its own venv; returns its JSON report (and 'values' if any)."""
    OUT.mkdir(exist_ok=True)
    data = OUT / f"pydvl-in-{os.getpid()}.npz"
    result = OUT / f"pydvl-out-{os.getpid()}.npz"
    np.savez(data, **arrays)
    job = {**job, "data": str(data), "result": str(result)}
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONWARNINGS"] = "ignore"
    proc = subprocess.run(
        [str(ensure_pydvl()), str(RUNNER), json.dumps(job)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"pyDVL job failed:\n{proc.stderr[-3000:]}")
    report: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    if result.exists():
        with np.load(result) as r:
            report["values"] = r["values"]
        result.unlink()
    data.unlink()
    return report


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> str:
    cpus = os.cpu_count()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()[0]
    return (
        f"{platform.machine()}, {cpus} cores, {mem:.0f} GiB, Python {platform.python_version()}, "
        f"numpy {np.__version__}; load average at start {load:.2f}"
    )


def synthetic(
    n_train: int, n_test: int, d: int = 32, classes: int = 10, seed: int = 0
) -> tuple[np.ndarray, ...]:
    """Gaussian classes in d dimensions (overlapping, so values are not trivial)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(classes, d))
    y = rng.integers(0, classes, n_train)
    yt = rng.integers(0, classes, n_test)
    x = centres[y] + rng.normal(size=(n_train, d))
    xt = centres[yt] + rng.normal(size=(n_test, d))
    return x, y, xt, yt


def strat25k(dims: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """arXiv strat25k: TF-IDF + SVD features of title + abstract, label = field."""
    from syndic.valuation.features import tfidf_svd

    path = shared_dir() / "data" / "arxiv" / "strat25k.jsonl"
    texts, labels = [], []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            texts.append(f"{row['title']}\n\n{row['abstract']}")
            labels.append(row["field"])
    classes = sorted(set(labels))
    y = np.array([classes.index(v) for v in labels])
    return tfidf_svd(texts, dims=dims, seed=seed), y, classes


def digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    d = load_digits()
    return d.data / 16.0, d.target


def timed(fn: Any) -> tuple[Any, float]:
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t

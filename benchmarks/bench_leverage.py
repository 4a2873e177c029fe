"""Leverage run on the demo coalition: 7,122 pool works (producers300.jsonl) and the builder's
outside data, strat25k.jsonl minus the coalition's own papers (about 18,000 works).

Prints the run's wall time and CPU time (the whole run: reading the pool, features, every fit
with both model families, the scaling fits and the price range; importing the pool is not
timed). CPU time is this process's and its worker processes' (the executor's workers, read
from /proc while they live): on a shared machine it says what the run costs, where wall time
says how busy the machine was. It also prints
the extrapolation error of each arm and model family: the power law fitted on the smaller half
of the measured sizes (their mean accuracy over seeds), read at the largest size, against the
accuracy measured there.

    .venv/bin/python benchmarks/bench_leverage.py [--workers 2] [--n-sizes 6] [--seeds 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from valuation_common import shared_dir

from syndic.app import Syndic
from syndic.bargaining.engine import ARMS
from syndic.bargaining.params import LeverageParams
from syndic.bargaining.scaling import power_law, profile_fit
from syndic.config import Settings
from syndic.members.importer import import_arxiv


def _descendants(pid: int) -> list[int]:
    kids: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        kids.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        for k in kids.get(todo.pop(), []):
            out.append(k)
            todo.append(k)
    return out


def tree_cpu() -> float:
    """CPU seconds (user + system) of this process, its finished children and its living
    descendants (Linux /proc; elsewhere only the first two)."""
    import resource

    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        r = resource.getrusage(who)
        total += r.ru_utime + r.ru_stime
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for pid in _descendants(os.getpid()) if Path("/proc/self/stat").exists() else []:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def extrapolation_errors(points: list[dict[str, object]], fam: str) -> dict[str, float]:
    """Accuracy points: predicted minus measured at each arm's largest size."""
    out = {}
    for arm in ARMS:
        pts = [p for p in points if p["family"] == fam and p["arm"] == arm]
        sizes = sorted({int(str(p["size"])) for p in pts})
        acc = np.asarray(
            [np.mean([float(str(p["accuracy"])) for p in pts if p["size"] == n]) for n in sizes]
        )
        half = len(sizes) // 2
        a, b, c = profile_fit(np.asarray(sizes[:half], float), 1 - acc[None, :half])[0]
        predicted = 1 - float(power_law(sizes[-1], a, b, c))
        out[arm] = 100 * (predicted - float(acc[-1]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--n-sizes", type=int, default=6)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--executor", default="process")
    args = ap.parse_args()
    arxiv = shared_dir() / "data" / "arxiv"
    with tempfile.TemporaryDirectory() as tmp:
        s = Syndic.init(Settings(data_dir=Path(tmp) / "data"), name="Bench")
        t = time.perf_counter()
        import_arxiv(s.members, arxiv / "producers300.jsonl")
        print(f"pool imported in {time.perf_counter() - t:.1f} s (not timed below)", flush=True)
        params = LeverageParams(
            n_sizes=args.n_sizes, seeds=args.seeds, executor=args.executor, workers=args.workers
        )
        load = os.getloadavg()
        t, c = time.perf_counter(), tree_cpu()
        marks: dict[str, tuple[float, float]] = {}

        def progress(stage: str, _done: int, _total: int | None) -> None:
            # when the stage last reported: wall and CPU seconds since the start
            marks[stage] = (time.perf_counter() - t, tree_cpu() - c)

        run = s.leverage.run(
            params, outside=(arxiv / "strat25k.jsonl").read_bytes(), progress=progress
        )
        wall, cpu = time.perf_counter() - t, tree_cpu() - c
        (fw, fc), (mw, mc) = marks.get("features", (0, 0)), marks.get("fits", (0, 0))
        print(
            f"stages (wall / CPU seconds): features done at {fw:.1f} / {fc:.1f}, model fits "
            f"done at {mw:.1f} / {mc:.1f}, scaling fits, pricing and storing done at "
            f"{wall:.1f} / {cpu:.1f}"
        )
        r = run.result
        print(
            f"leverage run: {wall:.1f} s wall, {cpu:.1f} s CPU ({args.executor}, "
            f"{args.workers} workers, {os.cpu_count()} cpus, load average before "
            f"{load[0]:.1f} and after {os.getloadavg()[0]:.1f}, {platform.python_version()}); "
            f"{r['counts']} ({r['outside_dropped_as_pool']:,} outside works dropped as pool "
            f"works; classes left out: {r['classes_left_out']}); {len(run.points)} points"
        )
        for fam in params.family_list():
            st = r["strike"][fam]
            lo, hi = st["accuracy_points_interval"]
            print(
                f"  {fam}: strike {st['accuracy_points']:.2f} pts [{lo:.2f}, {hi:.2f}]; "
                f"equivalent: {r['equivalent'][fam]['words']}; fit flags: "
                + str({a: r["fits"][fam][a]["error"]["flags"] for a in ARMS})
            )
            errs = extrapolation_errors(run.points, fam)
            print(
                f"  {fam}: extrapolation error (fit on the smaller half of sizes, read at the "
                "largest; predicted minus measured accuracy points): "
                + ", ".join(f"{a} {e:+.2f}" for a, e in errs.items())
            )
        pr = r["price_range"]
        print(
            f"  price range: reservation {pr['reservation']['minor']}, ask {pr['ask']['minor']}, "
            f"builder's most {pr['willingness']['max_minor']} {pr['willingness']['max_interval']}"
        )
        s.close()


if __name__ == "__main__":
    main()

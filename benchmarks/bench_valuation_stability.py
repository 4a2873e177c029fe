"""Stability of paid values across seeds on the demo coalition (producers300.jsonl: 7,122
works, 292 members), cross-fitted with R repeats of K folds, exact KNN-Shapley (K=5).

For each (R, K) the pool is valued under seeds 0, 1 and 2, and for each pair of seeds:

- money total variation: half the L1 distance between the value-based money shares (the
  valuation-weighted policy without a floor: each member's positive value over the total);
- rank coverage: the share of members whose rank under one seed lies inside the rank interval
  ("likely between") of the other seed (both directions);
- the Pearson correlation of members' group-Shapley values.

Targets (issue 16): total variation <= 3%, coverage >= 90%, group correlation >= 0.9. Timings
are wall-clock on whatever machine runs it (a loaded 2-core VM here: noisy).

    .venv/bin/python benchmarks/bench_valuation_stability.py --plans 3x5 --group-perms 10
"""

from __future__ import annotations

import argparse
import itertools
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from syndic.app import Syndic
from syndic.config import Settings
from syndic.demo import default_source
from syndic.members.importer import import_arxiv
from syndic.testing import ManualClock
from syndic.valuation.params import RunParams


def _pool(data: Path, source: Path) -> Syndic:
    s = Syndic.init(Settings(data_dir=data), name="bench", clock=ManualClock())
    import_arxiv(s.members, source)
    return s


def _money(values: dict[int, float], members: list[int]) -> np.ndarray:
    v = np.array([max(values.get(m, 0.0), 0.0) for m in members])
    return v / v.sum()


def _compare(a: dict[str, dict[int, object]], b: dict[str, dict[int, object]]) -> list[float]:
    members = sorted(a["value"])
    tv = 0.5 * float(np.abs(_money(a["value"], members) - _money(b["value"], members)).sum())  # type: ignore[arg-type]
    inside = [
        lo <= x["rank"][m] <= hi  # type: ignore[index,operator]
        for x, y in ((a, b), (b, a))
        for m in members
        for lo, hi in [y["interval"][m]]  # type: ignore[index,misc]
    ]
    ga = np.array([a["group"][m] for m in members], dtype=float)
    gb = np.array([b["group"][m] for m in members], dtype=float)
    return [tv, float(np.mean(inside)), float(np.corrcoef(ga, gb)[0, 1])]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--plans", default="3x5", help="RxK pairs, comma-separated")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--group-perms", type=int, default=RunParams().group_permutations)
    ap.add_argument("--source", type=Path, default=default_source())
    args = ap.parse_args()
    seeds = [int(x) for x in args.seeds.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        s = _pool(Path(tmp) / "data", args.source)
        print(f"pool: {args.source.name}; group permutations per split {args.group_perms}")
        for plan in args.plans.split(","):
            r, k = (int(x) for x in plan.split("x"))
            runs = []
            for seed in seeds:
                t, cpu = time.perf_counter(), time.process_time()
                run = s.valuation.run(
                    RunParams(seed=seed, repeats=r, folds=k, group_permutations=args.group_perms)
                )
                took, cpu = time.perf_counter() - t, time.process_time() - cpu
                mv = s.valuation.member_values(run.id)
                runs.append(
                    {
                        "value": {m.member_id: m.value_sum for m in mv},
                        "rank": {m.member_id: m.rank for m in mv},
                        "interval": {m.member_id: (m.rank_low, m.rank_high) for m in mv},
                        "group": {m.member_id: m.value_group or 0.0 for m in mv},
                        "time": {0: took},
                    }
                )
                print(
                    f"  R={r} K={k} seed {seed}: {took:.1f} s wall, {cpu:.1f} s CPU "
                    f"(load average {os.getloadavg()[0]:.1f})",
                    flush=True,
                )
            pairs = np.array([_compare(a, b) for a, b in itertools.combinations(runs, 2)])
            lo, hi = pairs.min(axis=0), pairs.max(axis=0)
            print(
                f"R={r} K={k}: money TV {lo[0]:.1%}-{hi[0]:.1%}; ranks inside the other seed's "
                f"interval {lo[1]:.1%}-{hi[1]:.1%}; group-value correlation "
                f"{lo[2]:.3f}-{hi[2]:.3f} (over {len(pairs)} seed pairs)",
                flush=True,
            )
        s.close()


if __name__ == "__main__":
    main()

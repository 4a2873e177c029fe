"""Kill a real ``syndic payout run`` with SIGKILL at every step, and at random times, then
run it again: is every member on the rail exactly once, and does the rail reconcile?

    .venv/bin/python benchmarks/bench_payout_crash.py [--members 10] [--timed 10] [--seed 0]
        [--postgres postgresql://postgres@127.0.0.1:5432/postgres]

Step kills stop the run at each pause point (after each ledger posting inside the open
transaction, after the commit, after each line written to the rail) and kill it there.
Timed kills start the plain CLI and kill it after a random delay (seeded) within the time
one whole run takes, so they also land inside system calls. Prints one row per kill and a
summary per backend (docs/payouts.md records the figures).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.payouts.crash import (  # noqa: E402
    check,
    crash_and_rerun,
    lines_in,
    owe,
    steps,
)

from syndic.app import Syndic  # noqa: E402
from syndic.config import Settings  # noqa: E402


def timed_kill(data_dir: Path, delay: float, env: dict[str, str]) -> bool:
    """The plain CLI, killed after ``delay`` seconds; True if it was still running."""
    with subprocess.Popen(
        [sys.executable, "-m", "syndic.cli.main", "payout", "run", "--data-dir", str(data_dir)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ) as child:
        try:
            child.wait(timeout=delay)
            return False
        except subprocess.TimeoutExpired:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            return True


def backend(name: str, url: str | None, args: argparse.Namespace, rng: random.Random) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        s = Syndic.init(Settings(data_dir=Path(tmp) / "d", database_url=url), name="Crash")
        env = {"SYNDIC_DATABASE_URL": url} if url else {}
        data_dir, owed, results = s.settings.data_dir, {}, Counter[str]()
        batch = 0
        n = steps(args.members)
        for at in [*range(1, n + 1), None]:
            owed |= owe(s, [100 + rng.randrange(10_000) for _ in range(args.members)], batch=batch)
            batch += 1
            out = crash_and_rerun(data_dir, owed, at, env)
            ok = out.paid_once and out.reconciled
            results[f"step:{out.step or 'finished'}:{'ok' if ok else 'FAIL'}"] += 1
            print(
                f"{name} step {at}: killed at {out.step or '-'}, {out.lines_before_rerun} rail "
                f"lines before re-run, paid once {out.paid_once}, reconciled {out.reconciled} "
                f"{out.problem}"
            )
        owed |= owe(s, [100] * args.members, batch=batch)
        batch += 1
        t0 = time.perf_counter()
        timed_kill(data_dir, 600, env)
        whole = time.perf_counter() - t0
        check(data_dir, owed, env)
        for _ in range(args.timed):
            owed |= owe(s, [100 + rng.randrange(10_000) for _ in range(args.members)], batch=batch)
            batch += 1
            delay = rng.uniform(0, whole)
            alive = timed_kill(data_dir, delay, env)
            before = lines_in(data_dir)
            paid_once, reconciled, problem = check(data_dir, owed, env)
            ok = paid_once and reconciled
            results[f"timed:{'killed' if alive else 'finished'}:{'ok' if ok else 'FAIL'}"] += 1
            print(
                f"{name} timed {delay:.2f}s of {whole:.2f}s: killed {alive}, {before} rail "
                f"lines before re-run, paid once {paid_once}, reconciled {reconciled} {problem}"
            )
        s.close()
        print(
            f"SUMMARY {name}: {args.members} members per run; "
            + ", ".join(f"{k} {v}" for k, v in sorted(results.items()))
        )


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--members", type=int, default=10)
    p.add_argument("--timed", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    p.add_argument("--no-postgres", action="store_true")
    args = p.parse_args()
    rng = random.Random(args.seed)
    backend("sqlite", None, args, rng)
    if args.no_postgres:
        return
    import psycopg

    db = f"syndic_crash_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.postgres, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db}"')
    base = args.postgres.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    try:
        backend("postgres", f"{base}/{db}", args, rng)
    finally:
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


if __name__ == "__main__":
    main()

"""Import throughput (works/s) and peak memory, side by side with `sqlite-utils insert`.

Imports strat25k.jsonl (or the first N rows, or a manifest of ``--scale`` rows generated from
it: each row a copy with a fresh id, so every work is new) on SQLite and PostgreSQL, then
loads the same rows with ``sqlite-utils insert --nl`` in the same run. Each import runs in a
fresh subprocess so peak RSS (ru_maxrss) is that import's alone (the manifest is generated in
a subprocess too, so this process stays small and passes no high-water mark on); RSS is also
sampled every 10,000 works (100,000 past a million) to show it stays flat. Each import also
reports its CPU time per work (``time.process_time``), which the machine's load moves less
than the wall clock.
Usage: python benchmarks/bench_import.py [--rows N | --scale N] [--backends sqlite,postgres]
       (--scale 1000000: the million-work manifest)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get("SYNDIC_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def shared() -> Path:
    for c in (ROOT.parent / "shared", Path("/work/shared")):
        if (c / "data" / "arxiv").is_dir():
            return c
    raise SystemExit("cannot find shared/data/arxiv")


def _rss_now_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / (1 << 20)


def generate(source: Path, out: Path, rows: int) -> None:
    """``rows`` rows cycled from ``source``, each with a new id (so a new work); streamed,
    one line at a time."""
    with out.open("w") as fh:
        i = 0
        while i < rows:
            with source.open() as src:
                for line in src:
                    if i >= rows:
                        break
                    row = json.loads(line)
                    row["id"] = f"{row['id']}#{i}"
                    fh.write(json.dumps(row) + "\n")
                    i += 1


def sqlite_utils(source: Path) -> dict[str, float]:
    """`sqlite-utils insert --nl` of the same rows into a fresh SQLite file (its CLI, timed
    from the outside as a user would run it)."""
    exe = Path(sys.executable).with_name("sqlite-utils")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        subprocess.run(
            [str(exe), "insert", str(Path(tmp) / "su.db"), "works", str(source), "--nl"],
            check=True,
            capture_output=True,
        )
        dt = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"seconds": dt, "peak_rss_mib": rss}


def child(backend: str, source: Path) -> None:
    from syndic.app import Syndic
    from syndic.config import Settings
    from syndic.members.importer import import_arxiv

    with tempfile.TemporaryDirectory() as tmp:
        url = None
        dbname = None
        if backend == "postgres":
            import psycopg

            dbname = f"syndic_bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{dbname}"')
            url = (
                PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
                + f"/{dbname}"
            )
        try:
            s = Syndic.init(Settings(data_dir=Path(tmp) / "d", database_url=url), name="bench")
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            samples: list[float] = []
            done = [0]

            every = 10_000 if sum(1 for _ in source.open("rb")) <= 200_000 else 100_000

            def advance(n: int) -> None:
                done[0] += n
                if done[0] % every < n:
                    samples.append(_rss_now_mib())

            c0, t0 = time.process_time(), time.perf_counter()
            res = import_arxiv(s.members, source, advance=advance)
            dt = time.perf_counter() - t0
            cpu = time.process_time() - c0
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            s.close()
        finally:
            if dbname:
                with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
    print(
        json.dumps(
            {
                "backend": backend,
                "works": res.works_created,
                "members": res.members_created,
                "seconds": dt,
                "cpu_seconds": cpu,
                "works_per_s": res.works_created / dt,
                "peak_rss_mib": rss / 1024,
                "rss_before_import_mib": rss_before / 1024,
                "rss_samples_mib": [round(x) for x in samples],
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--rows", type=int, default=0, help="only the first N rows (0 = all)")
    ap.add_argument("--scale", type=int, default=0, help="a generated manifest of N rows")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--source", help=argparse.SUPPRESS)
    ap.add_argument("--generate", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, Path(args.source))
        return
    if args.generate:
        generate(Path(args.source), Path(args.generate), args.scale)
        return
    source = shared() / "data" / "arxiv" / "strat25k.jsonl"
    with tempfile.TemporaryDirectory() as tmp:
        if args.scale:
            big = Path(tmp) / f"generated{args.scale}.jsonl"
            subprocess.run(
                [
                    *(sys.executable, __file__, "--generate", str(big)),
                    *("--source", str(source), "--scale", str(args.scale)),
                ],
                check=True,
            )
            source = big
        elif args.rows:
            cut = Path(tmp) / "cut.jsonl"
            with source.open() as fh, cut.open("w") as out:
                for i, line in enumerate(fh):
                    if i >= args.rows:
                        break
                    out.write(line)
            source = cut
        machine = (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        )
        print(f"# import of {source.name} on {machine}")
        print(f"# load average before: {os.getloadavg()[0]:.1f} (the machine is shared)")
        head = ("backend", "works", "members", "seconds", "works/s", "peak RSS MiB", "before MiB")
        print(
            f"{head[0]:<12} {head[1]:>7} {head[2]:>8} {head[3]:>8} {head[4]:>8} {head[5]:>13}"
            f" {head[6]:>11} {'CPU us/work':>12}  RSS samples (MiB)"
        )
        sqlite_seconds = None
        peer = sqlite_utils(source)  # first: its RSS is then the only child's
        for backend in args.backends.split(","):
            out = subprocess.run(
                [sys.executable, __file__, "--child", backend, "--source", str(source)],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            if backend == "sqlite":
                sqlite_seconds = r["seconds"]
            print(
                f"{r['backend']:<12} {r['works']:>7} {r['members']:>8} {r['seconds']:>8.1f} "
                f"{r['works_per_s']:>8.0f} {r['peak_rss_mib']:>13.0f}"
                f" {r['rss_before_import_mib']:>11.0f}"
                f" {1e6 * r['cpu_seconds'] / max(r['works'], 1):>12.0f}  {r['rss_samples_mib']}"
            )
        rows = sum(1 for _ in source.open())
        print(
            f"{'sqlite-utils':<12} {rows:>7} {'-':>8} {peer['seconds']:>8.1f} "
            f"{rows / peer['seconds']:>8.0f} {peer['peak_rss_mib']:>13.0f} {'-':>11} {'-':>12}"
        )
        if sqlite_seconds is not None:
            print(f"# syndic on SQLite / sqlite-utils: {sqlite_seconds / peer['seconds']:.2f}x")
        print(f"# load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

"""Import throughput (works/s) and peak memory for strat25k.jsonl on SQLite and PostgreSQL.

Each backend runs in a fresh subprocess so peak RSS (ru_maxrss) is that import's alone.
Usage: python benchmarks/bench_import.py [--rows N] [--backends sqlite,postgres]
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
            t0 = time.perf_counter()
            res = import_arxiv(s.members, source)
            dt = time.perf_counter() - t0
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
                "works_per_s": res.works_created / dt,
                "peak_rss_mib": rss / 1024,
                "rss_before_import_mib": rss_before / 1024,
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--rows", type=int, default=0, help="only the first N rows (0 = all)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--source", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, Path(args.source))
        return
    source = shared() / "data" / "arxiv" / "strat25k.jsonl"
    with tempfile.TemporaryDirectory() as tmp:
        if args.rows:
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
        head = ("backend", "works", "members", "seconds", "works/s", "peak RSS MiB", "before MiB")
        print(
            f"{head[0]:<10} {head[1]:>7} {head[2]:>8} {head[3]:>8} {head[4]:>8} {head[5]:>13}"
            f" {head[6]:>11}"
        )
        for backend in args.backends.split(","):
            out = subprocess.run(
                [sys.executable, __file__, "--child", backend, "--source", str(source)],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"{r['backend']:<10} {r['works']:>7} {r['members']:>8} {r['seconds']:>8.1f} "
                f"{r['works_per_s']:>8.0f} {r['peak_rss_mib']:>13.0f}"
                f" {r['rss_before_import_mib']:>11.0f}"
            )


if __name__ == "__main__":
    main()

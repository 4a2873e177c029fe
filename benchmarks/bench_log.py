"""Transparency log: appends/s (one per transaction, and batched) and proof latency by log size.

For each backend the log grows to each size in turn (batched appends, timed), then we time
single-append transactions at that size, and inclusion and consistency proofs read from the
stored subtree hashes (a fresh read session per proof, as a request would have).

Peer figures printed alongside are the Trillian Tessera POSIX numbers quoted in the issue
(about 2,900 writes/s on HDD and 10,000/s on NVMe); they are quoted, not measured here.

Usage: python benchmarks/bench_log.py [--sizes 10000,100000,1000000]
       [--backends sqlite,postgres] [--batch 1000] [--single 1000] [--proofs 500] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from syndic.canonical import canonical_bytes
from syndic.provenance.log import TransparencyLog
from syndic.provenance.merkle import leaf_hash, verify_consistency, verify_inclusion
from syndic.storage.db import Database

PG_ADMIN = os.environ.get("SYNDIC_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TESSERA_POSIX = {"HDD": 2_900, "NVMe": 10_000}
AT = datetime(2026, 1, 1, tzinfo=UTC)


def event(i: int) -> bytes:
    """An entry shaped like a real work registration (about 300 bytes of canonical JSON)."""
    return canonical_bytes(
        {
            "v": 1,
            "kind": "work.registered",
            "actor": "steward",
            "at": "2026-01-01T00:00:00Z",
            "payload": {
                "work": i,
                "digest": f"sha256:{i:064x}",
                "title": f"A study of case {i}",
                "collection": "arxiv",
                "holders": [{"member": i % 977, "share_bp": 10_000}],
            },
        }
    )


@contextmanager
def database(backend: str) -> Iterator[Database]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
            db.migrate()
            try:
                yield db
            finally:
                db.dispose()
        return
    import psycopg

    name = f"syndic_bench_log_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    db = Database(url)
    try:
        db.migrate()
        yield db
    finally:
        db.dispose()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def grow(db: Database, log: TransparencyLog, target: int, batch: int) -> tuple[int, float]:
    """Batched appends up to ``target`` entries; returns (entries appended, seconds)."""
    with db.read() as s:
        start = log.size(s)
    t0 = time.perf_counter()
    last_print = t0
    n = start
    while n < target:
        k = min(batch, target - n)
        with db.write() as s:
            log.append_many(s, [(event(n + j), "work.registered", AT) for j in range(k)])
        n += k
        now = time.perf_counter()
        if now - last_print > 10:
            rate = (n - start) / (now - t0)
            print(f"    ... {n:,} entries ({rate:,.0f}/s)", flush=True)
            last_print = now
    return n - start, time.perf_counter() - t0


def single(db: Database, log: TransparencyLog, count: int) -> float:
    with db.read() as s:
        base = log.size(s)
    t0 = time.perf_counter()
    for i in range(count):
        with db.write() as s:
            log.append(s, event(base + i), kind="work.registered", at=AT)
    return count / (time.perf_counter() - t0)


def proofs(db: Database, log: TransparencyLog, count: int, rng: random.Random) -> dict[str, float]:
    with db.read() as s:
        size = log.size(s)
        root = log.root(s)
    inc_ms, con_ms = [], []
    for _ in range(count):
        idx = rng.randrange(size)
        t0 = time.perf_counter()
        with db.read() as s:
            proof = log.inclusion_proof(s, idx, size)
        inc_ms.append((time.perf_counter() - t0) * 1e3)
        verify_inclusion(
            leaf_hash=leaf_hash(event_at(db, log, idx)),
            index=idx,
            size=size,
            proof=proof,
            root=root,
        )
        old = rng.randrange(1, size)
        t0 = time.perf_counter()
        with db.read() as s:
            cproof = log.consistency_proof(s, old, size)
        con_ms.append((time.perf_counter() - t0) * 1e3)
        if len(con_ms) <= 20:  # check a sample (reading the old root is not part of the timing)
            with db.read() as s:
                old_root = log.root(s, old)
            verify_consistency(
                old_size=old, new_size=size, old_root=old_root, new_root=root, proof=cproof
            )
    return {
        "inclusion_p50": statistics.median(inc_ms),
        "inclusion_p95": statistics.quantiles(inc_ms, n=20)[18],
        "consistency_p50": statistics.median(con_ms),
        "consistency_p95": statistics.quantiles(con_ms, n=20)[18],
    }


def event_at(db: Database, log: TransparencyLog, idx: int) -> bytes:
    with db.read() as s:
        return log.entry(s, idx)


def run_backend(backend: str, sizes: list[int], args: argparse.Namespace) -> list[dict[str, float]]:
    rows = []
    rng = random.Random(args.seed)
    log = TransparencyLog()
    with database(backend) as db:
        appended = 0
        seconds = 0.0
        for size in sizes:
            print(f"  {backend}: growing to {size:,} entries (batches of {args.batch})", flush=True)
            n, dt = grow(db, log, size, args.batch)
            appended += n
            seconds += dt
            batched_rate = n / dt if dt else float("nan")
            single_rate = single(db, log, args.single)
            lat = proofs(db, log, args.proofs, rng)
            row = {"size": size, "batched": batched_rate, "single": single_rate, **lat}
            rows.append(row)
            print(
                f"  {backend} @ {size:>9,}: batched {batched_rate:>8,.0f}/s  "
                f"single-txn {single_rate:>6,.0f}/s  inclusion p50 {lat['inclusion_p50']:.2f} ms "
                f"p95 {lat['inclusion_p95']:.2f} ms  consistency p50 "
                f"{lat['consistency_p50']:.2f} ms p95 {lat['consistency_p95']:.2f} ms",
                flush=True,
            )
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="10000,100000,1000000")
    p.add_argument("--backends", default="sqlite,postgres")
    p.add_argument("--batch", type=int, default=1000, help="entries per batched transaction")
    p.add_argument("--single", type=int, default=1000, help="single-append transactions timed")
    p.add_argument("--proofs", type=int, default=500, help="proofs of each kind timed per size")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    sizes = sorted(int(x) for x in args.sizes.split(","))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(
        "peer (quoted, not measured): Trillian Tessera POSIX "
        + ", ".join(f"{v:,} writes/s on {k}" for k, v in TESSERA_POSIX.items())
    )
    results = {b: run_backend(b, sizes, args) for b in args.backends.split(",")}
    print()
    print(
        "| backend | entries | batched appends/s | single-txn appends/s | inclusion p50 / p95 ms "
        "| consistency p50 / p95 ms |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for backend, rows in results.items():
        for r in rows:
            print(
                f"| {backend} | {int(r['size']):,} | {r['batched']:,.0f} | {r['single']:,.0f} | "
                f"{r['inclusion_p50']:.2f} / {r['inclusion_p95']:.2f} | "
                f"{r['consistency_p50']:.2f} / {r['consistency_p95']:.2f} |"
            )
    for backend, rows in results.items():
        best = max(r["batched"] for r in rows)
        for k, v in TESSERA_POSIX.items():
            print(f"{backend}: best batched rate is {best / v:.2f}x Tessera POSIX on {k} ({v:,}/s)")


if __name__ == "__main__":
    main()

"""CPU cost of the near-copy check at registration, side by side with the rest of the import.

Imports strat25k.jsonl (or its first ``--rows``) into a fresh coalition on SQLite and adds up
the CPU time (``time.process_time``) spent in the check: signing each batch's texts, comparing
them with the pool's signatures (``BulkWriter._near``), and storing the signatures and the
copies found (``BulkWriter._insert_near``). The timers wrap the real methods; nothing is
replaced. Then it registers ``--singles`` near copies one at a time (``syndic work add``'s
path) against the whole pool and times the check of each (``MemberService._near_copy``).
Usage: python benchmarks/bench_near_copies.py [--rows N] [--singles N]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from syndic.app import Syndic
from syndic.config import Settings
from syndic.detection import minhash
from syndic.members import bulk, service
from syndic.members.importer import import_arxiv
from syndic.members.models import FULL_SHARE_BP
from syndic.members.service import NewWork

ROOT = Path(__file__).resolve().parents[1]


def shared() -> Path:
    for c in (ROOT.parent / "shared", Path("/work/shared")):
        if (c / "data" / "arxiv").is_dir():
            return c
    raise SystemExit("cannot find shared/data/arxiv")


class Timer:
    def __init__(self) -> None:
        self.cpu = 0.0
        self.calls = 0

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.cpu += time.process_time() - t0
                self.calls += 1

        return timed


def peer(s: Syndic) -> None:
    """The comparison step side by side with datasketch's MinHashLSH over the same stored
    signatures: the last 2,000 works as a batch against the rest (ours: the band index built
    for the pool, then the batch's query), and datasketch's LSH at the same threshold built
    over all of them and queried for each (``near_copy_clusters``, what valuation uses)."""
    from syndic.members.copies import PoolSigs

    pool = PoolSigs()
    with s.db.read() as session:
        pool.refresh(session)
    sigs = pool.sigs.copy()
    head, batch = sigs[:-2000], sigs[-2000:]
    t0 = time.process_time()
    index = minhash.BandIndex()
    index.add(minhash.band_keys(head))
    t1 = time.process_time()
    ours = minhash.earlier_near_copies(head, batch, threshold=0.7, index=index)
    t2 = time.process_time()
    clusters = minhash.near_copy_clusters(list(range(len(sigs))), sigs, threshold=0.7)
    t3 = time.process_time()
    print(
        f"comparison step on {len(sigs):,} stored signatures: ours {(t2 - t1) / 2000 * 1e6:.1f} "
        f"us per batch work (+ band index for the pool once: {(t1 - t0) * 1e3:.0f} ms); "
        f"datasketch MinHashLSH (near_copy_clusters) {(t3 - t2) / len(sigs) * 1e6:.1f} us per "
        f"work; found {len(ours[0])} copies in the batch, datasketch "
        f"{sum(len(g) - 1 for g in clusters)} in all"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=25_000)
    ap.add_argument("--singles", type=int, default=20)
    args = ap.parse_args()
    source = shared() / "data" / "arxiv" / "strat25k.jsonl"
    near, store, single, sign = Timer(), Timer(), Timer(), Timer()
    minhash.signatures = sign.wrap(minhash.signatures)
    bulk.BulkWriter._near = near.wrap(bulk.BulkWriter._near)  # type: ignore[method-assign]
    bulk.BulkWriter._insert_near = store.wrap(bulk.BulkWriter._insert_near)  # type: ignore[method-assign]
    service.MemberService._near_copy = single.wrap(service.MemberService._near_copy)  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory() as tmp:
        rows = Path(tmp) / "rows.jsonl"
        with source.open() as fh, rows.open("w") as out:
            lines = [line for line, _ in zip(fh, range(args.rows), strict=False)]
            out.writelines(lines)
        s = Syndic.init(Settings(data_dir=Path(tmp) / "data"), name="bench")
        t0, w0 = time.process_time(), time.perf_counter()
        result = import_arxiv(s.members, rows)
        import_cpu, import_wall = time.process_time() - t0, time.perf_counter() - w0
        n = result.works_created
        print(f"import of {n:,} works (SQLite): {import_cpu:.2f} s CPU, {import_wall:.2f} s wall")
        print(
            f"  near-copy check, compare ({near.calls} batches): {near.cpu:.2f} s CPU, "
            f"{near.cpu / n * 1e6:.0f} us/work"
        )
        print(
            f"  near-copy check, store signatures: {store.cpu:.2f} s CPU, "
            f"{store.cpu / n * 1e6:.0f} us/work"
        )
        print(
            f"    of which signing the texts (minhash.signatures): {sign.cpu:.2f} s CPU, "
            f"{sign.cpu / n * 1e6:.0f} us/work"
        )
        both = near.cpu + store.cpu
        print(
            f"  check in all: {both / n * 1e6:.0f} us/work, {both / import_cpu:.1%} of the "
            f"import's CPU time; near copies found: {result.near_copies} "
            f"({result.dispute_candidates} dispute candidates)"
        )
        # one registration at a time: a near copy by another member of a pooled work
        member = s.members.join(handle="bench-copier", name="", payout_account="x").id
        sign.cpu = 0.0
        times = []
        for i, line in enumerate(lines[: args.singles]):
            before = single.cpu
            row = json.loads(line)
            words = row["abstract"].split(" ")
            del words[5]
            s.members.register_work(
                NewWork(
                    " ".join(words).encode(),
                    f"copy {i}",
                    "paper",
                    "c",
                    [(member, FULL_SHARE_BP)],
                    {},
                ),
                registered_by=member,
            )
            times.append(single.cpu - before)
        flagged = len(s.members.near_copies(candidates_only=True, limit=1000))
        warm = sorted(times[1:])
        print(
            f"single registration against {n:,} works ({len(times)}, {flagged} flagged): "
            f"first {times[0] * 1e3:.1f} ms CPU (reads the pool's signatures), then median "
            f"{warm[len(warm) // 2] * 1e3:.2f} ms CPU per check "
            f"(signing {sign.cpu / len(times) * 1e3:.2f} ms)"
        )
        peer(s)
        s.close()
    print(f"load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

"""Detection: signature speed beside a plain datasketch loop, scan throughput, and match
quality (precision and recall on perturbed copies, false positives on non-member works).

Members' works are producers300.jsonl less the 265 works strat25k also holds (6,857 works,
stored as the importer stores them: "arXiv:<id>", title, abstract). Records scanned are
abstract-sized.

- speed: ``minhash.signatures`` over N strat25k abstracts, then a plain loop (one datasketch
  ``MinHash`` per record, ``update`` per shingle, the same shingles) over a subset, in the same
  run; then matching alone (records in memory: sketch, index look-up, scoring, verbatim spans)
  over N records; then the whole scan path, ``Syndic.detect_scan`` on a real coalition holding
  producers300.jsonl (reading the file, canaries, matching, spans, storing and logging), over
  the first N lines of strat25k.jsonl. Wall rates and CPU time per record (process_time).
- quality: 400 member works, each perturbed six ways (10% of words deleted; 10% random words
  inserted; sentences shuffled; truncated to half; embedded in three unrelated abstracts;
  unchanged), plus the 25,000 non-member works of strat25k. Recall: perturbed copies whose
  source work is matched. Precision: matches that name the right work. False-positive rate:
  non-member works with any match.
  Scores are kept at a minimal threshold and the thresholds evaluated after, so one pass per
  shingle size gives the whole grid.

- with --memory: peak RSS of a streamed scan (readers + matching, a fresh process) of
  strat25k and of strat25k four times over: flat memory means the same peak.
- with --library: datasketch's MinHashLSH and MinHashLSHEnsemble as the candidate step, on the
  same probes, beside our postings look-up (recall, candidates on non-members, records/s).

Usage: python benchmarks/bench_detect.py [--records 25000] [--loop 2000] [--k 3,5,7]
       [--library] [--memory]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import re
import resource
import time
from pathlib import Path

from syndic.detection import minhash
from syndic.detection.index import Params, Version, WorkIndex
from syndic.detection.matching import Thresholds, match_records, scored
from syndic.detection.readers import Record

DATA = Path("/work/shared/data/arxiv")
if not DATA.is_dir():
    DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "arxiv"


def rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open() as fh:
        return [json.loads(x) for x in fh]


def work_text(r: dict[str, str]) -> str:
    return f"arXiv:{r['id'].strip()}\n{' '.join(r['title'].split())}\n\n{r['abstract'].strip()}\n"


def _timed(f):  # type: ignore[no-untyped-def]
    """``f()``, its wall seconds and the CPU seconds of this process (``time.process_time``)."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = f()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def speed(abstracts: list[str], loop_n: int, index: WorkIndex) -> dict[str, float]:
    from datasketch import MinHash

    _, wall, cpu = _timed(lambda: minhash.signatures(abstracts))
    ours, ours_cpu = len(abstracts) / wall, cpu / len(abstracts)
    subset = abstracts[:loop_n]

    def loop() -> None:
        for text in subset:
            m = MinHash(num_perm=minhash.NUM_PERM)
            for s in minhash.shingles(text):
                m.update(s)

    _, wall, cpu = _timed(loop)
    plain, plain_cpu = len(subset) / wall, cpu / len(subset)
    records = [Record(i, str(i), f"line {i + 1}", a) for i, a in enumerate(abstracts)]
    texts: dict[int, str] = {}
    matched, wall, cpu = _timed(
        lambda: sum(
            1
            for _ in match_records(
                records,
                index,
                thresholds=Thresholds(),
                work_text=lambda row: texts.setdefault(row, ""),
            )
        )
    )
    scan, scan_cpu = len(records) / wall, cpu / len(records)
    return {
        "signatures_per_s": round(ours),
        "datasketch_loop_per_s": round(plain),
        "matching_per_s": round(scan),
        "speedup_signatures": round(ours / plain, 1),
        "speedup_matching": round(scan / plain, 1),
        "cpu_us_per_record": {
            "signatures": round(ours_cpu * 1e6, 1),
            "datasketch_loop": round(plain_cpu * 1e6, 1),
            "matching": round(scan_cpu * 1e6, 1),
        },
        "matching_matches": matched,
    }


def service_scan(n: int, loop_per_s: float) -> dict[str, float]:
    """The whole scan path as ``syndic detect scan`` runs it, on a real coalition (SQLite, in a
    temporary directory) holding all of producers300.jsonl: the dataset's digest, the index
    brought level with the log, reading the JSONL file, canary look-up, signatures, postings,
    scoring, verbatim spans against the works' texts from the vault, and storing and logging
    the scan with its matches. The dataset is the first ``n`` lines of strat25k.jsonl (its 265
    works that producers300 also holds, and their reuse, are matches)."""
    import tempfile

    from syndic.app import Syndic
    from syndic.config import Settings
    from syndic.detection.readers import Fields, Format
    from syndic.detection.service import ScanRequest
    from syndic.members.importer import import_arxiv

    with tempfile.TemporaryDirectory() as tmp:
        dataset = Path(tmp) / "dataset.jsonl"
        with (DATA / "strat25k.jsonl").open("rb") as src, dataset.open("wb") as dst:
            for _, line in zip(range(n), src, strict=False):
                dst.write(line)
        s = Syndic.init(Settings(data_dir=Path(tmp) / "coalition"), name="Bench")
        try:
            works = import_arxiv(s.members, DATA / "producers300.jsonl").works_created
            s.detection.reindex()
            request = ScanRequest(dataset, Format.JSONL, Fields(text="abstract", id="id"))
            summary, wall, cpu = _timed(lambda: s.detect_scan(request))
        finally:
            s.close()
    return {
        "works": works,
        "records": summary.records,
        "matches": len(summary.matches),
        "scan_per_s": round(summary.records / wall),
        "speedup_scan": round(summary.records / wall / loop_per_s, 1),
        "cpu_us_per_record": round(cpu / summary.records * 1e6, 1),
        "cpu_records_per_s": round(summary.records / cpu),
    }


def perturb(text: str, how: str, rng: random.Random, vocab: list[str], filler: list[str]) -> str:
    words = text.split()
    if how == "delete10":
        return " ".join(w for w in words if rng.random() >= 0.1)
    if how == "insert10":
        out: list[str] = []
        for w in words:
            out.append(w)
            if rng.random() < 0.1:
                out.append(rng.choice(vocab))
        return " ".join(out)
    if how == "shuffle":
        sentences = re.split(r"(?<=[.!?])\s+", text)
        rng.shuffle(sentences)
        return " ".join(sentences)
    if how == "half":
        return " ".join(words[: len(words) // 2])
    if how == "embedded":
        return " ".join([filler[0], filler[1], text, filler[2]])
    return text


KINDS = ("verbatim", "delete10", "insert10", "shuffle", "half", "embedded")


def quality(k: int, members: list[dict[str, str]], negatives: list[str], seed: int) -> dict:
    rng = random.Random(seed)
    params = Params(k=k)
    index = WorkIndex.empty(params, Version(0, "")).with_works(
        list(range(len(members))),
        [r["id"] for r in members],
        [work_text(r) for r in members],
        Version(0, ""),
    )
    vocab = [w for n in negatives[:2000] for w in n.split()]
    sample = rng.sample(range(len(members)), 400)
    probes: list[tuple[str, int, str]] = []
    for i in sample:
        for how in KINDS:
            filler = rng.sample(negatives, 3)
            probes.append((how, i, perturb(members[i]["abstract"], how, rng, vocab, filler)))
    probes += [("negative", -1, t) for t in negatives]
    loose = Thresholds(min_shared=1, min_containment=0.0)
    best: dict[int, list[tuple[int, float, int]]] = {}  # probe -> [(work, score, shared)]
    for lo in range(0, len(probes), 2000):
        batch = probes[lo : lo + 2000]
        texts = [t for _, _, t in batch]
        for t, w, _jac, cont, rcont, shared in scored(index, texts, loose):
            best.setdefault(lo + t, []).append((w, max(cont, rcont), shared))
    grid = {}
    for min_shared in (4, 8, 16):
        for min_cont in (0.1, 0.2, 0.3, 0.5):
            grid[f"shared>={min_shared},containment>={min_cont}"] = evaluate(
                probes, best, min_shared, min_cont
            )
    return grid


def library_candidates(members: list[dict[str, str]], negatives: list[str], seed: int) -> dict:
    """datasketch's own indexes as the candidate step, on the same probes: MinHashLSH (Jaccard
    at 0.3) and MinHashLSHEnsemble (containment of the record in the work at 0.3), with the
    query time per record, beside our postings look-up (``scored``) on the same probes."""
    from datasketch import MinHashLSH, MinHashLSHEnsemble

    rng = random.Random(seed)
    texts = [work_text(r) for r in members]
    index = WorkIndex.empty(Params(), Version(0, "")).with_works(
        list(range(len(members))), [r["id"] for r in members], texts, Version(0, "")
    )
    vocab = [w for n in negatives[:2000] for w in n.split()]
    probes = [
        (how, i, perturb(members[i]["abstract"], how, rng, vocab, rng.sample(negatives, 3)))
        for i in rng.sample(range(len(members)), 400)
        for how in KINDS
    ]
    probes += [("negative", -1, t) for t in negatives]
    sk = minhash.sketch([t for _, _, t in probes])
    out: dict[str, dict] = {}
    lsh = MinHashLSH(threshold=0.3, num_perm=minhash.NUM_PERM)
    for w in range(len(index)):
        lsh.insert(w, minhash.lean(index.sigs[w]), check_duplication=False)
    ens = MinHashLSHEnsemble(threshold=0.3, num_perm=minhash.NUM_PERM, num_part=16)
    ens.index((w, minhash.lean(index.sigs[w]), int(index.sizes[w])) for w in range(len(index)))
    queries = {
        "datasketch MinHashLSH (jaccard>=0.3)": lambda i: lsh.query(minhash.lean(sk.sigs[i])),
        "datasketch LSHEnsemble (record in work>=0.3)": lambda i: list(
            ens.query(minhash.lean(sk.sigs[i]), max(int(sk.sizes[i]), 1))
        ),
    }
    for name, query in queries.items():
        t = time.perf_counter()
        found = [set(query(i)) for i in range(len(probes))]
        out[name] = _candidate_stats(probes, found, time.perf_counter() - t)
    t = time.perf_counter()
    ours: list[set[int]] = [set() for _ in probes]
    for lo in range(0, len(probes), 2000):
        batch = [text for _, _, text in probes[lo : lo + 2000]]
        for i, w, *_ in scored(index, batch, Thresholds()):
            ours[lo + i].add(w)
    out["ours: postings + confirmation (defaults)"] = _candidate_stats(
        probes, ours, time.perf_counter() - t
    )
    return out


def _candidate_stats(probes, found, seconds: float) -> dict:  # type: ignore[no-untyped-def]
    per = dict.fromkeys(KINDS, 0)
    n = 0
    fp = 0
    for (kind, source, _), cands in zip(probes, found, strict=True):
        if kind == "negative":
            fp += bool(cands)
        else:
            per[kind] += source in cands
            n += 1
    n //= len(KINDS)
    return {
        "recall": {k: round(v / n, 3) for k, v in per.items()},
        "negatives_with_candidates": fp,
        "records_per_s": round(len(probes) / seconds),
    }


def evaluate(probes, best, min_shared: int, min_cont: float) -> dict:  # type: ignore[no-untyped-def]
    found = dict.fromkeys(KINDS, 0)
    right = wrong = fp = 0
    for p, (kind, source, _) in enumerate(probes):
        hits = {
            w for w, score, shared in best.get(p, []) if score >= min_cont and shared >= min_shared
        }
        if kind == "negative":
            fp += bool(hits)
            continue
        found[kind] += source in hits
        right += source in hits
        wrong += len(hits - {source})
    n = sum(1 for k, _, _ in probes if k != "negative") // len(KINDS)
    negatives = sum(1 for k, _, _ in probes if k == "negative")
    return {
        "recall": {k: round(v / n, 4) for k, v in found.items()},
        "precision": round(right / max(right + wrong + fp, 1), 4),
        "false_positive_rate": round(fp / negatives, 5),
        "false_positives": fp,
        "negatives": negatives,
    }


MEMORY_CHILD = """
import resource, sys, time
from pathlib import Path
sys.path.insert(0, {bench!r})
import bench_detect as b
from syndic.detection.index import Params, Version, WorkIndex
from syndic.detection.matching import Thresholds, match_records
from syndic.detection.readers import Fields, Format, read_records
members = b.rows("producers300.jsonl")
index = WorkIndex.empty(Params(), Version(0, "")).with_works(
    list(range(len(members))), [r["id"] for r in members],
    [b.work_text(r) for r in members], Version(0, ""))
del members
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
records = read_records(Path({path!r}), Format.JSONL, Fields(text="abstract"))
n = sum(1 for _ in match_records(records, index, thresholds=Thresholds(),
        work_text=lambda w: ""))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(base // 1024, peak // 1024, n, round(time.perf_counter() - t, 1))
"""


def memory(copies: tuple[int, ...]) -> list[dict[str, float]]:
    """Peak RSS of a streamed scan of strat25k repeated ``copies`` times (a fresh process
    each): flat memory means the peak does not grow with the dataset."""
    import subprocess
    import sys
    import tempfile

    out = []
    source = (DATA / "strat25k.jsonl").read_bytes()
    for c in copies:
        with tempfile.NamedTemporaryFile(suffix=".jsonl") as fh:
            for _ in range(c):
                fh.write(source)
            fh.flush()
            code = MEMORY_CHILD.format(bench=str(Path(__file__).parent), path=fh.name)
            res = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            )
            base, peak, matches, secs = res.stdout.split()
            out.append(
                {
                    "records": 25_000 * c,
                    "rss_after_index_mib": int(base),
                    "peak_rss_mib": int(peak),
                    "matches": int(matches),
                    "seconds": float(secs),
                }
            )
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=25_000)
    ap.add_argument("--loop", type=int, default=2_000)
    ap.add_argument("--k", default="3,5,7")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--library", action="store_true", help="also datasketch's LSH indexes")
    ap.add_argument("--memory", action="store_true", help="peak RSS of 25k- and 100k-record scans")
    args = ap.parse_args()
    # members: producers300 less the 265 works strat25k also holds, so that all 25,000
    # strat25k works are non-members
    strat = rows("strat25k.jsonl")
    strat_ids = {r["id"] for r in strat}
    members = [r for r in rows("producers300.jsonl") if r["id"] not in strat_ids]
    negatives = [r["abstract"] for r in strat]
    abstracts = negatives[: args.records]
    print(f"machine: {platform.machine()}, {platform.python_version()}, shared 2-core box (noisy)")
    t = time.perf_counter()
    index = WorkIndex.empty(Params(), Version(0, "")).with_works(
        list(range(len(members))),
        [r["id"] for r in members],
        [work_text(r) for r in members],
        Version(0, ""),
    )
    print(f"index of {len(index)} works built in {time.perf_counter() - t:.2f}s")
    fast = speed(abstracts, args.loop, index)
    print(json.dumps({"speed": fast}, indent=1))
    scan = service_scan(args.records, fast["datasketch_loop_per_s"])
    print(json.dumps({"scan": scan}, indent=1))
    print(f"peak RSS so far: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    if args.memory:
        print(json.dumps({"memory": memory((1, 4))}, indent=1))
    if args.library:
        lib = library_candidates(members, negatives, args.seed)
        print(json.dumps({"candidates": lib}, indent=1))
    for k in (int(x) for x in args.k.split(",") if x):
        print(json.dumps({"k": k, "quality": quality(k, members, negatives, args.seed)}, indent=1))


if __name__ == "__main__":
    main()

"""The scan's fast path gives exactly what plain set arithmetic gives: the bit filter in front
of the postings drops no shared shingle, candidates are counted on their own distinct
shingles, and block-wise JSONL reading yields the same records and names the same bad line."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from syndic.detection import minhash, readers
from syndic.detection.index import Params, Version, WorkIndex
from syndic.detection.matching import Thresholds, scored
from syndic.detection.readers import Fields, Format, read_records
from syndic.errors import InvalidInput

VOCAB = [f"w{i}" for i in range(300)]


def _corpus(seed: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    works = [" ".join(rng.choices(VOCAB, k=rng.randint(0, 80))) for _ in range(120)]
    records: list[str] = []
    for _ in range(400):
        w = rng.choice(works).split()
        how = rng.randrange(5)
        if how == 0:  # an unrelated text
            records.append(" ".join(rng.choices(VOCAB, k=rng.randint(0, 90))))
        elif how == 1:  # a piece of a work
            records.append(" ".join(w[: rng.randint(0, len(w))]))
        elif how == 2:  # a work with words dropped
            records.append(" ".join(x for x in w if rng.random() > 0.2))
        elif how == 3:  # a work inside other words
            records.append(" ".join([*rng.choices(VOCAB, k=30), *w, *rng.choices(VOCAB, k=30)]))
        else:  # a few words only (fewer than k)
            records.append(" ".join(w[:3]))
    return works, records


def _reference(
    index: WorkIndex, works: list[str], texts: list[str], th: Thresholds
) -> list[tuple[int, int, float, float, float, int]]:
    """Set arithmetic on every text's distinct shingle hashes, no filter, no postings."""
    k = index.params.k
    sets = [set(minhash.sketch([t], k=k).hashes.tolist()) for t in works]
    held: dict[int, int] = {}
    for s in sets:
        for h in s:
            held[h] = held.get(h, 0) + 1
    sigs = minhash.signatures(texts, k=k)
    out = []
    for t, text in enumerate(texts):
        mine = set(minhash.sketch([text], k=k).hashes.tolist())
        for w, theirs in enumerate(sets):
            shared = sum(1 for h in mine & theirs if held[h] <= 32)
            if shared < th.min_shared or not shared:
                continue
            cont, rcont = shared / max(len(theirs), 1), shared / max(len(mine), 1)
            if max(cont, rcont) < th.min_containment:
                continue
            jac = float(np.mean(sigs[t] == index.sigs[w]))
            out.append((t, w, jac, cont, rcont, shared))
    return out


@pytest.mark.parametrize(("k", "seed"), [(5, 1), (3, 2), (7, 3)])
@pytest.mark.parametrize("th", [Thresholds(), Thresholds(min_shared=1, min_containment=0.0)])
def test_scored_equals_set_arithmetic(k: int, seed: int, th: Thresholds) -> None:
    works, records = _corpus(seed)
    version = Version(0, "")
    index = WorkIndex.empty(Params(k=k), version).with_works(
        list(range(len(works))), [f"d{i}" for i in range(len(works))], works, version
    )
    got = list(scored(index, records, th))
    assert got == _reference(index, works, records, th)
    assert len(got) > 100  # the corpus has copies to find


def test_the_filter_holds_every_posting() -> None:
    works, _ = _corpus(4)
    version = Version(0, "")
    index = WorkIndex.empty(Params(), version).with_works(
        list(range(len(works))), [f"d{i}" for i in range(len(works))], works, version
    )
    assert index.might_hold(index.post_hash).all()
    rng = np.random.default_rng(0)
    absent = rng.integers(0, 2**63, 100_000, dtype=np.uint64)
    assert index.might_hold(absent).mean() < 0.1  # it does drop most other hashes


def _plain(path: Path) -> list[tuple[int, str, str, str]]:
    out = []
    for number, line in enumerate(path.read_text().split("\n"), 1):
        if line.strip():
            out.append((len(out), str(len(out)), f"line {number}", json.loads(line)["text"]))
    return out


def test_jsonl_blocks_give_the_records_line_by_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(5)
    lines = [
        json.dumps({"text": " ".join(rng.choices(["é", "x", "日本", "w"], k=rng.randint(1, 40)))})
        if rng.random() > 0.1
        else ""
        for _ in range(500)
    ]
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(lines) + "\r\n")
    expected = _plain(path)
    for block in (7, 64, 1000, 1 << 20):
        monkeypatch.setattr(readers, "JSONL_BLOCK", block)
        got = [tuple(r) for r in read_records(path, Format.JSONL, Fields())]
        assert got == expected, block


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (b"not json", "line 301 is not JSON"),
        (b'{"text": "\xff"}', "line 301: binary content, not UTF-8"),
        (b'{"text": "a\x00"}', "line 301: binary content, not text"),
    ],
)
def test_jsonl_blocks_name_the_first_bad_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad: bytes, message: str
) -> None:
    good = b'{"text": "fine words here"}\n'
    path = tmp_path / "d.jsonl"
    # a later bad line in the same block must not hide the first one
    path.write_bytes(good * 300 + bad + b"\n" + good + b"\xfe\xff\n")
    monkeypatch.setattr(readers, "JSONL_BLOCK", 4096)
    with pytest.raises(InvalidInput, match=message):
        list(read_records(path, Format.JSONL, Fields()))

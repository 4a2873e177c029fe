"""Matching a stream of records against the index: overlap, similarity, the verbatim span.

A record and a work match when they share at least ``min_shared`` distinct shingles and the
shared shingles are at least ``min_containment`` of the work (the work is in the record:
a copy, or a copy embedded in a longer text) or of the record (the record is a piece of the
work, such as a truncation). Each match carries the estimated Jaccard similarity (from the
MinHash rows), both containments (exact counts of shared shingle hashes) and the longest
passage the two share word for word, with character offsets in both texts.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from syndic.detection import minhash
from syndic.detection.index import WorkIndex
from syndic.detection.readers import Record

BATCH_RECORDS = 2048
BATCH_CHARS = 1 << 20
PASSAGE_LIMIT = 20_000  # characters of a matched passage kept for evidence


@dataclass(frozen=True)
class Thresholds:
    """When a record and a work are a match (docs/detection.md: how they were chosen)."""

    min_shared: int = 8
    min_containment: float = 0.3

    def to_dict(self) -> dict[str, Any]:
        return {"min_shared": self.min_shared, "min_containment": self.min_containment}


@dataclass(frozen=True)
class Span:
    """The longest passage shared word for word: its length in words, character offsets
    ``[start, end)`` in the record and in the work, and the two passages as written."""

    words: int
    record_start: int
    record_end: int
    work_start: int
    work_end: int
    record_text: str
    work_text: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "words": self.words,
            "record": [self.record_start, self.record_end],
            "work": [self.work_start, self.work_end],
        }


@dataclass(frozen=True)
class Match:
    position: int
    record_id: str
    where: str
    work_id: int
    digest: str
    jaccard: float  # estimated from the MinHash rows
    containment: float  # share of the work's shingles found in the record
    record_containment: float  # share of the record's shingles found in the work
    shared: int
    span: Span


def scored(
    index: WorkIndex, texts: list[str], thresholds: Thresholds
) -> Iterator[tuple[int, int, float, float, float, int]]:
    """(text, work row, jaccard, containment, record containment, shared) of each match of
    ``texts`` (one batch).

    Most shingles of a scanned record are in no work: the index's bit filter drops them
    before anything is sorted, so the exact look-up runs on a few per cent of the shingles.
    Only texts that share enough shingles with some work (candidates) are then counted
    (distinct shingles) and get a MinHash signature.
    """
    p = index.params
    hashes, owner = minhash.shingle_hashes(texts, k=p.k)
    hit = index.might_hold(hashes)
    found = index.overlaps_of(
        *minhash.distinct(hashes[hit], owner[hit]), min_shared=thresholds.min_shared
    )
    if not found:
        return
    wanted = np.zeros(len(texts), dtype=bool)
    wanted[[o.text for o in found]] = True
    mine = wanted[owner]
    hashes, owner = hashes[mine], owner[mine]
    sigs = minhash.minhash_rows(hashes, owner, len(texts), num_perm=p.num_perm, seed=p.seed)
    sizes = np.bincount(minhash.distinct(hashes, owner)[1], minlength=len(texts))
    for o in found:
        containment = o.shared / max(int(index.sizes[o.work]), 1)
        record_containment = o.shared / max(int(sizes[o.text]), 1)
        if max(containment, record_containment) < thresholds.min_containment:
            continue
        jac = float(np.mean(sigs[o.text] == index.sigs[o.work]))
        yield o.text, o.work, jac, containment, record_containment, o.shared


def batches(records: Iterable[Record]) -> Iterator[list[Record]]:
    """Records in batches of bounded size (count and characters): flat memory."""
    batch: list[Record] = []
    size = 0
    for r in records:
        batch.append(r)
        size += len(r.text)
        if len(batch) >= BATCH_RECORDS or size >= BATCH_CHARS:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def match_records(
    records: Iterable[Record],
    index: WorkIndex,
    *,
    thresholds: Thresholds,
    work_text: Callable[[int], str],
    on_batch: Callable[[list[Record]], None] | None = None,
) -> Iterator[Match]:
    """Every match of ``records`` against ``index``; ``work_text(row)`` reads a work's text."""
    for batch in batches(records):
        for t, w, jac, cont, rcont, shared in scored(index, [r.text for r in batch], thresholds):
            rec = batch[t]
            yield Match(
                position=rec.position,
                record_id=rec.id,
                where=rec.where,
                work_id=int(index.work_ids[w]),
                digest=index.digests[w],
                jaccard=round(jac, 4),
                containment=round(cont, 4),
                record_containment=round(rcont, 4),
                shared=shared,
                span=longest_span(rec.text, work_text(w)),
            )
        if on_batch is not None:
            on_batch(batch)


_TOKEN = re.compile(r"\w+")


def _tokens(text: str) -> tuple[list[bytes], list[tuple[int, int]]]:
    """Normalised words and their character offsets in ``text`` as written (for text that is
    not ASCII, offsets are those of the words as matched before normalising them)."""
    if text.isascii():
        norm = text.encode().lower().translate(minhash._ASCII_GAPS)
        found = [(m.group(), m.span()) for m in re.finditer(rb"\S+", norm)]
        return [w for w, _ in found], [s for _, s in found]
    ws: list[bytes] = []
    spans: list[tuple[int, int]] = []
    for m in _TOKEN.finditer(text):
        for w in minhash.words(m.group()):
            ws.append(w)
            spans.append(m.span())
    return ws, spans


def longest_span(record: str, work: str) -> Span:
    """The longest run of words the two texts share, in order, after normalising."""
    rw, rs = _tokens(record)
    ww, ws = _tokens(work)
    m = difflib.SequenceMatcher(None, rw, ww, autojunk=False).find_longest_match(
        0, len(rw), 0, len(ww)
    )
    if m.size == 0:
        return Span(0, 0, 0, 0, 0, "", "")
    r0, r1 = rs[m.a][0], rs[m.a + m.size - 1][1]
    w0, w1 = ws[m.b][0], ws[m.b + m.size - 1][1]
    return Span(m.size, r0, r1, w0, w1, record[r0:r1][:PASSAGE_LIMIT], work[w0:w1][:PASSAGE_LIMIT])

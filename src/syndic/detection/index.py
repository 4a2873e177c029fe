"""The index of members' works: MinHash rows for similarity, shingle postings for overlap.

Each indexed work keeps its MinHash signature (``minhash.signatures``) and its distinct
64-bit shingle hashes. The postings (every shingle hash, sorted, with the work it belongs to)
answer "which works share shingles with this text, and how many" for a whole batch of texts
in a few array operations. In front of them sits a bit filter (one bit per slot, about 32
slots per posting): a shingle whose slot is clear is in no work, so the many shingles of a
scanned record that no member wrote are dropped with one array look-up, and only the few left
(real hits and about 3% false alarms) are sorted and searched. Overlap counts give both
directions of containment, so one look-up finds a near copy, a work embedded in a longer
document, and a fragment of a work.

An index is a value: ``with_works`` and ``without`` return a new one. ``save``/``load`` keep it
in one ``.npz`` file, written atomically, with the log checkpoint it covers (its version).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from syndic.detection import minhash
from syndic.errors import IntegrityError

FORMAT = 1
MAX_POSTINGS = 32
"""Shingles held by more works than this are not counted as evidence of a copy."""
FILTER_SLOTS_PER_POSTING = 32
"""Filter bits per posting (rounded up to a power of two): about 3% of absent shingles pass."""
BUILD_BATCH = 1000  # works sketched at a time when building: memory stays flat


@dataclass(frozen=True)
class Params:
    """What signatures and shingles are made with; an index and a scan must agree on it."""

    k: int = minhash.K
    num_perm: int = minhash.NUM_PERM
    seed: int = minhash.SEED

    def to_dict(self) -> dict[str, int]:
        return {"k": self.k, "num_perm": self.num_perm, "seed": self.seed}


@dataclass(frozen=True)
class Version:
    """The log checkpoint an index covers: the tree size and root when it was brought level."""

    tree_size: int
    root: str  # hex

    def to_dict(self) -> dict[str, Any]:
        return {"tree_size": self.tree_size, "root": self.root}


@dataclass(frozen=True)
class Overlap:
    """Shared shingles between text ``text`` of a batch and indexed work ``work`` (a row)."""

    text: int
    work: int
    shared: int


@dataclass(frozen=True)
class WorkIndex:
    params: Params
    version: Version
    work_ids: npt.NDArray[np.int64]
    digests: tuple[str, ...]
    sigs: minhash.Signatures
    sizes: npt.NDArray[np.intp]
    post_hash: npt.NDArray[np.uint64] = field(repr=False)
    post_work: npt.NDArray[np.int32] = field(repr=False)

    @classmethod
    def empty(cls, params: Params, version: Version) -> WorkIndex:
        return cls(
            params=params,
            version=version,
            work_ids=np.empty(0, dtype=np.int64),
            digests=(),
            sigs=np.empty((0, params.num_perm), dtype=np.uint32),
            sizes=np.empty(0, dtype=np.intp),
            post_hash=np.empty(0, dtype=np.uint64),
            post_work=np.empty(0, dtype=np.int32),
        )

    def __len__(self) -> int:
        return len(self.work_ids)

    def row(self, work_id: int) -> int | None:
        hit = np.flatnonzero(self.work_ids == work_id)
        return int(hit[0]) if len(hit) else None

    # --- changes ---------------------------------------------------------------------------
    def with_works(
        self, ids: Sequence[int], digests: Sequence[str], texts: Sequence[str], version: Version
    ) -> WorkIndex:
        """This index plus works ``ids`` (already indexed ones are replaced)."""
        base = self.without(ids, version)
        if not ids:
            return base
        p = self.params
        sketches = [
            minhash.sketch(texts[i : i + BUILD_BATCH], num_perm=p.num_perm, seed=p.seed, k=p.k)
            for i in range(0, len(texts), BUILD_BATCH)
        ]
        start = len(base)
        post_hash = np.concatenate([base.post_hash, *(sk.hashes for sk in sketches)])
        post_work = np.concatenate(
            [
                base.post_work,
                *(
                    (sk.owner + start + i * BUILD_BATCH).astype(np.int32)
                    for i, sk in enumerate(sketches)
                ),
            ]
        )
        order = np.argsort(post_hash, kind="stable")
        return WorkIndex(
            params=p,
            version=version,
            work_ids=np.concatenate([base.work_ids, np.asarray(ids, dtype=np.int64)]),
            digests=base.digests + tuple(digests),
            sigs=np.concatenate([base.sigs, *(sk.sigs for sk in sketches)]),
            sizes=np.concatenate([base.sizes, *(sk.sizes for sk in sketches)]),
            post_hash=post_hash[order],
            post_work=post_work[order],
        )

    def without(self, ids: Sequence[int], version: Version) -> WorkIndex:
        """This index less works ``ids``; rows renumbered, postings kept sorted."""
        drop = np.isin(self.work_ids, np.asarray(ids, dtype=np.int64))
        if not drop.any():
            return WorkIndex(
                self.params, version, self.work_ids, self.digests, self.sigs, self.sizes,
                self.post_hash, self.post_work,
            )  # fmt: skip
        keep = ~drop
        renumber = np.cumsum(keep) - 1
        kept_posts = keep[self.post_work]
        return WorkIndex(
            params=self.params,
            version=version,
            work_ids=self.work_ids[keep],
            digests=tuple(d for d, k in zip(self.digests, keep, strict=True) if k),
            sigs=self.sigs[keep],
            sizes=self.sizes[keep],
            post_hash=self.post_hash[kept_posts],
            post_work=renumber[self.post_work[kept_posts]].astype(np.int32),
        )

    # --- queries ---------------------------------------------------------------------------
    @cached_property
    def _filter(self) -> tuple[npt.NDArray[np.uint8], int]:
        """The bit filter over the postings and the shift that maps a hash to its slot (the
        top bits of the hash, which are well mixed). Built on first use, a few ms."""
        bits = max(16, (len(self.post_hash) * FILTER_SLOTS_PER_POSTING - 1).bit_length())
        shift = 64 - bits
        table = np.zeros(1 << (bits - 3), dtype=np.uint8)
        slots = self.post_hash >> np.uint64(shift)
        bit = np.left_shift(1, (slots & np.uint64(7)).astype(np.uint8), dtype=np.uint8)
        np.bitwise_or.at(table, (slots >> np.uint64(3)).astype(np.intp), bit)
        return table, shift

    def might_hold(self, hashes: npt.NDArray[np.uint64]) -> npt.NDArray[np.bool_]:
        """A mask over ``hashes``: False where no indexed work has that shingle (True may
        be a false alarm; ``overlaps_of`` gives the exact answer)."""
        table, shift = self._filter
        slots = hashes >> np.uint64(shift)
        byte = table[(slots >> np.uint64(3)).astype(np.intp)]
        found: npt.NDArray[np.bool_] = (byte >> (slots & np.uint64(7)).astype(np.uint8)) & 1 != 0
        return found

    def overlaps(self, sk: minhash.Sketch, *, min_shared: int) -> list[Overlap]:
        """Every (text, work) pair of a sketched batch sharing at least ``min_shared``
        distinct shingles, in (text, work) order."""
        return self.overlaps_of(sk.hashes, sk.owner, min_shared=min_shared)

    def overlaps_of(
        self, hashes: npt.NDArray[np.uint64], owner: npt.NDArray[np.intp], *, min_shared: int
    ) -> list[Overlap]:
        """``overlaps`` from the distinct shingle hashes of texts and the text of each."""
        if len(self.post_hash) == 0 or len(hashes) == 0:
            return []
        # Searching in sorted order walks the postings forward: several times faster than
        # random probes into an array far larger than the cache.
        order = np.argsort(hashes)
        queries = hashes[order]
        lo = np.searchsorted(self.post_hash, queries, side="left")
        hi = lo + (self.post_hash[np.minimum(lo, len(self.post_hash) - 1)] == queries)
        counts = hi - lo
        # a query matching several works: count its run of equal postings
        multi = np.flatnonzero(counts > 0)
        if len(multi):
            right = np.searchsorted(self.post_hash, queries[multi], side="right")
            counts[multi] = right - lo[multi]
        owners = owner[order]
        # A shingle found in more than MAX_POSTINGS works ("in this paper we show") says
        # little about which work a text copies, and expanding it costs the most: skip it.
        hit = (counts > 0) & (counts <= MAX_POSTINGS)
        if not hit.any():
            return []
        counts, lo, text = counts[hit], lo[hit], owners[hit]
        # one row per (shingle, work) posting: expand each [lo, hi) range
        total = int(counts.sum())
        run_start = np.repeat(np.cumsum(counts) - counts, counts)
        posting = np.repeat(lo, counts) + (np.arange(total) - run_start)
        works = self.post_work[posting].astype(np.int64)
        texts = np.repeat(text, counts).astype(np.int64)
        pairs, shared = np.unique(texts * len(self) + works, return_counts=True)
        keep = shared >= min_shared
        return [
            Overlap(int(p // len(self)), int(p % len(self)), int(n))
            for p, n in zip(pairs[keep], shared[keep], strict=True)
        ]

    # --- files -----------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Write to ``path`` atomically (a sibling file renamed over it)."""
        meta = {
            "format": FORMAT,
            "params": self.params.to_dict(),
            "version": self.version.to_dict(),
            "digests": list(self.digests),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(path.name + ".part")
        with part.open("wb") as fh:
            np.savez(
                fh,
                meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
                work_ids=self.work_ids,
                sigs=self.sigs,
                sizes=self.sizes,
                post_hash=self.post_hash,
                post_work=self.post_work,
            )
        os.replace(part, path)

    @classmethod
    def load(cls, path: Path) -> WorkIndex:
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(z["meta"].tobytes())
                if meta.get("format") != FORMAT:
                    raise IntegrityError(f"detection index {path} has an unknown format")
                return cls(
                    params=Params(**meta["params"]),
                    version=Version(**meta["version"]),
                    work_ids=z["work_ids"],
                    digests=tuple(meta["digests"]),
                    sigs=z["sigs"],
                    sizes=z["sizes"],
                    post_hash=z["post_hash"],
                    post_work=z["post_work"],
                )
        except (OSError, ValueError, KeyError) as exc:
            raise IntegrityError(f"detection index {path} cannot be read; run reindex") from exc

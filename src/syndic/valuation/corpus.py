"""The pool as a learning task: works in a snapshot, their labels and holders, their text
streamed from the vault, and a train/test split that a seed fixes.

A run reads the corpus from the live pool (``load_corpus``) and stores what defines it with its
values: each work's id, label and holders' shares (``WorkValue`` rows) and a digest over them
and the works' content digests. ``stored_corpus`` rebuilds the same corpus from those rows,
whatever has happened to the works since (a dispute, a withdrawal, re-settled shares)."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from syndic.canonical import canonical_bytes
from syndic.errors import ValuationError
from syndic.members.models import Work, WorkStatus
from syndic.storage.db import Database
from syndic.valuation.models import WorkValue
from syndic.vault import Digest, FileVault

PAGE = 1000


@dataclass(frozen=True)
class Corpus:
    """Works in id order; ``holders[i]`` lists (member id, share in basis points)."""

    work_ids: NDArray[np.int64]
    digests: list[str]
    titles: list[str]
    labels: NDArray[Any]
    holders: list[list[tuple[int, int]]]

    @classmethod
    def of(
        cls,
        ids: list[int],
        digests: list[str],
        titles: list[str],
        labels: list[str],
        holders: list[list[tuple[int, int]]],
    ) -> Corpus:
        """A corpus from per-work columns gathered in id order."""
        return cls(
            work_ids=np.asarray(ids, dtype=np.int64),
            digests=digests,
            titles=titles,
            labels=np.asarray(labels, dtype=object),
            holders=holders,
        )

    def __len__(self) -> int:
        return len(self.digests)

    def digest(self) -> str:
        """SHA-256 of the canonical JSON of what defines the corpus: per work (in id order) its
        id, content digest, label and holders' shares."""
        doc = [
            [int(w), d, str(lab), [[int(m), int(bp)] for m, bp in sorted(hs)]]
            for w, d, lab, hs in zip(
                self.work_ids.tolist(),
                self.digests,
                self.labels.tolist(),
                self.holders,
                strict=True,
            )
        ]
        return "sha256:" + hashlib.sha256(canonical_bytes(doc)).hexdigest()

    def texts(self, vault: FileVault) -> Iterator[str]:
        """Each work's text, read from the vault one blob at a time."""
        for i in range(len(self)):
            yield vault.read_bytes(Digest.parse(self.digests[i])).decode("utf-8", "replace")


def _label(meta: dict[str, Any], key: str) -> str | None:
    value = meta.get(key)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float):
        return str(value)
    return None


def load_corpus(db: Database, *, label: str, snapshot_size: int) -> Corpus:
    """Active works registered before the snapshot, read in pages (keyset by id)."""
    ids: list[int] = []
    digests: list[str] = []
    titles: list[str] = []
    labels: list[str] = []
    holders: list[list[tuple[int, int]]] = []
    missing = 0
    last = 0
    while True:
        with db.read() as s:
            page = list(
                s.scalars(
                    select(Work)
                    .options(selectinload(Work.shares))
                    .where(
                        Work.id > last,
                        Work.status == WorkStatus.ACTIVE,
                        Work.log_index < snapshot_size,
                    )
                    .order_by(Work.id)
                    .limit(PAGE)
                )
            )
        if not page:
            break
        for w in page:
            value = _label(w.meta or {}, label)
            if value is None:
                missing += 1
                continue
            ids.append(w.id)
            digests.append(w.digest)
            titles.append(w.title)
            labels.append(value)
            holders.append(sorted((sh.member_id, sh.share_bp) for sh in w.shares))
        last = page[-1].id
    if missing:
        raise ValuationError(
            f"{missing} work(s) have no {label!r} in their metadata; every valued work needs "
            "the label (choose another --label)"
        )
    if len(ids) < 4:
        raise ValuationError(f"the pool holds {len(ids)} work(s); valuing it needs at least 4")
    return Corpus.of(ids, digests, titles, labels, holders)


def stored_corpus(db: Database, run_id: int) -> Corpus:
    """The corpus of a stored run, rebuilt from its work rows (labels and holders as they were
    at the run; content digests and titles never change)."""
    ids: list[int] = []
    digests: list[str] = []
    titles: list[str] = []
    labels: list[str] = []
    holders: list[list[tuple[int, int]]] = []
    last = 0
    while True:
        with db.read() as s:
            page = s.execute(
                select(
                    WorkValue.work_id, WorkValue.label, WorkValue.holders, Work.digest, Work.title
                )
                .join(Work, Work.id == WorkValue.work_id)
                .where(WorkValue.run_id == run_id, WorkValue.work_id > last)
                .order_by(WorkValue.work_id)
                .limit(PAGE)
            ).all()
        if not page:
            break
        for work_id, label, hs, digest, title in page:
            ids.append(int(work_id))
            labels.append(label)
            holders.append([(int(m), int(bp)) for m, bp in hs])
            digests.append(digest)
            titles.append(title)
        last = ids[-1]
    if not ids:
        raise ValuationError(f"valuation run {run_id} stored no works to recompute from")
    return Corpus.of(ids, digests, titles, labels, holders)


def split(
    labels: NDArray[Any], *, test_fraction: float, seed: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(train, test) indices: stratified by label when every label has two works or more, so
    each class is in both parts; a seeded permutation decides, nothing else."""
    if not 0 < test_fraction < 1:
        raise ValuationError(f"test fraction must be between 0 and 1, got {test_fraction}")
    n = len(labels)
    n_test = round(n * test_fraction)
    if n_test < 1 or n - n_test < 2:
        raise ValuationError(f"a test fraction of {test_fraction} leaves an empty part of {n}")
    rng = np.random.default_rng(seed)
    counts = Counter(labels.tolist())
    test: list[int] = []
    if min(counts.values()) >= 2:
        for value in sorted(counts):
            members = np.flatnonzero(labels == value)
            take = max(1, round(members.size * test_fraction))
            take = min(take, members.size - 1)
            test.extend(rng.permutation(members)[:take].tolist())
    else:
        test = rng.permutation(n)[:n_test].tolist()
    is_test = np.zeros(n, dtype=bool)
    is_test[test] = True
    return np.flatnonzero(~is_test).astype(np.int64), np.flatnonzero(is_test).astype(np.int64)

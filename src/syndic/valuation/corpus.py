"""The pool as a learning task: works in a snapshot, their labels and holders, their text
streamed from the vault (the splits are cross-fitting's, ``crossfit.py``).

The service reads a corpus from the live pool and stores what defines it with its values: each
work's id, label and holders' shares and a digest over them and the works' content digests; a
stored run's corpus is rebuilt from those rows, whatever has happened to the works since (a
dispute, a withdrawal, re-settled shares). This module reads no database."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from syndic.canonical import canonical_bytes
from syndic.errors import ValuationError
from syndic.vault import Digest, FileVault


@dataclass(frozen=True)
class Corpus:
    """Works in id order; ``holders[i]`` lists (member id, share in basis points), of
    ``full_share_bp`` for a whole work."""

    work_ids: NDArray[np.int64]
    digests: list[str]
    titles: list[str]
    labels: NDArray[Any]
    holders: list[list[tuple[int, int]]]
    full_share_bp: int

    @classmethod
    def of(
        cls,
        ids: list[int],
        digests: list[str],
        titles: list[str],
        labels: list[str],
        holders: list[list[tuple[int, int]]],
        *,
        full_share_bp: int,
    ) -> Corpus:
        """A corpus from per-work columns gathered in id order."""
        return cls(
            work_ids=np.asarray(ids, dtype=np.int64),
            digests=digests,
            titles=titles,
            labels=np.asarray(labels, dtype=object),
            holders=holders,
            full_share_bp=full_share_bp,
        )

    def subset(self, rows: NDArray[np.int64]) -> Corpus:
        """The works at ``rows`` (in corpus order), as a corpus of their own."""
        return Corpus(
            work_ids=self.work_ids[rows],
            digests=[self.digests[i] for i in rows],
            titles=[self.titles[i] for i in rows],
            labels=self.labels[rows],
            holders=[self.holders[i] for i in rows],
            full_share_bp=self.full_share_bp,
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

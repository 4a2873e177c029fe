"""The pool as a learning task: works in a snapshot, their labels and holders, their text
streamed from the vault (the splits are cross-fitting's, ``crossfit.py``).

The service reads a corpus from the live pool and stores what defines it with its values: each
work's id, label and holders' shares and a digest over them and the works' content digests; a
stored run's corpus is rebuilt from those rows, whatever has happened to the works since (a
dispute, a withdrawal, re-settled shares). This module reads no database."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from syndic.canonical import canonical_bytes
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

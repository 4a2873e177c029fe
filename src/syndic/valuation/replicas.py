"""Replication robustness: near copies inside the pool count once.

Agarwal, Dahleh and Sarkar (2019, "A Marketplace for Data: An Algorithmic Solution", EC '19)
show that Shapley value rewards replication (a seller who copies their data gains), and make
it robust by discounting each point by its similarity to the rest. We take the hard-cluster
form of that idea: works whose MinHash-estimated Jaccard similarity of word 5-shingles reaches
the threshold (``syndic.detection.minhash``, the one implementation shared with detection)
form a cluster, the cluster is one contribution, valued once through its representative (the
earliest registered work), and its value goes to the representative's holders. Later copies are
not valued, nor used as test examples (so they change nothing in the task), and are listed with
the work they copy; a copy whose holders differ from the original's is a dispute candidate.
With every copy out of the valued pool, adding k near copies of one's works changes no value.
Pure: no database here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from syndic.detection import NEAR_COPY_THRESHOLD

CANDIDATES = 0.5  # LSH's threshold for candidate pairs, below the near-copy threshold
THRESHOLD = NEAR_COPY_THRESHOLD  # the one registration flags near copies at


@dataclass(frozen=True)
class Replicas:
    """``keep``: corpus rows valued (one per cluster, and every work in none); ``copy_of``:
    row of a later near copy -> row of the cluster's representative."""

    keep: NDArray[np.int64]
    copy_of: dict[int, int]

    def describe(
        self, work_ids: NDArray[np.int64], holders: Sequence[Sequence[tuple[int, int]]]
    ) -> list[dict[str, Any]]:
        """Each near copy with the work it copies, both works' holders, and whether the copy
        is a dispute candidate (its holders are not the original's)."""
        out = []
        for row, rep in sorted(self.copy_of.items()):
            mine = sorted(m for m, _ in holders[row])
            theirs = sorted(m for m, _ in holders[rep])
            out.append(
                {
                    "work": int(work_ids[row]),
                    "copy_of": int(work_ids[rep]),
                    "holders": mine,
                    "original_holders": theirs,
                    "dispute_candidate": mine != theirs,
                }
            )
        return out


def find_replicas(texts: Sequence[str], *, threshold: float = THRESHOLD) -> Replicas:
    """Clusters of near copies among ``texts`` (in corpus order: the first is the earliest).

    LSH misses some pairs just above its threshold, so candidates come from the shared
    ``near_copy_clusters`` at a lower one (``CANDIDATES``), and within a candidate group the
    pairs at ``threshold`` or above are joined (transitively)."""
    from syndic.detection.minhash import jaccard, near_copy_clusters, signatures

    sigs = signatures(texts)
    rows = list(range(len(texts)))
    copy_of: dict[int, int] = {}
    candidates = near_copy_clusters(rows, sigs, threshold=min(threshold, CANDIDATES))
    for group in candidates:
        first_of = {r: r for r in group}
        for i, a in enumerate(group):  # group is in corpus order: a < b
            for b in group[i + 1 :]:
                if jaccard(sigs[a], sigs[b]) >= threshold:
                    first_of[b] = min(first_of[b], first_of[a])
        copy_of.update({r: f for r, f in first_of.items() if f != r})
    keep = np.array([r for r in rows if r not in copy_of], dtype=np.int64)
    return Replicas(keep=keep, copy_of=copy_of)

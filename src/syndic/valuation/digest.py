"""The result digest: SHA-256 of the canonical JSON of a run's stored rows, exactly as stored.

One function hashes the rows a run stores (work values, member values with their explanations,
the run's summary), so the same digest names the run when it is stored, when it is recomputed
(``value verify`` recomputes the rows and hashes them) and when the stored rows are read back
and re-hashed (what payouts read is what was logged). Pure: no database here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from syndic.canonical import canonical_bytes

# the columns of a stored row that the digest covers, in the order they are hashed
WORK_COLUMNS = ("work_id", "role", "value", "stderr", "label", "holders")
MEMBER_COLUMNS = (
    "member_id",
    "works_valued",
    "value_sum",
    "stderr_sum",
    "value_group",
    "stderr_group",
    "rank",
    "rank_low",
    "rank_high",
    "explanation",
)

Row = Mapping[str, Any]


def result_digest(works: Iterable[Row], members: Iterable[Row], summary: Mapping[str, Any]) -> str:
    """Digest of a run's rows: works in work-id order, members in member-id order."""
    doc = {
        "works": [[w[c] for c in WORK_COLUMNS] for w in sorted(works, key=lambda w: w["work_id"])],
        "members": [
            [m[c] for c in MEMBER_COLUMNS] for m in sorted(members, key=lambda m: m["member_id"])
        ],
        "summary": dict(summary),
    }
    return "sha256:" + hashlib.sha256(canonical_bytes(doc)).hexdigest()

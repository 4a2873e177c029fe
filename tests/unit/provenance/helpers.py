"""Building a coalition with a provenance service and some logged works, for the log tests."""

from __future__ import annotations

from syndic.app import Syndic
from syndic.members.service import NewWork
from syndic.provenance.service import ProvenanceService


def service(s: Syndic, *, every: int = 1000) -> ProvenanceService:
    svc = s.provenance
    s.log.checkpoint_every = every
    return svc


def add_works(s: Syndic, n: int, *, start: int = 0) -> list[int]:
    """Register ``n`` works (one member), returning their log indices."""
    handle = f"m{start}"
    m = s.members.join(handle=handle, name=f"Member {start}", payout_account=f"acct-{start}")
    out = []
    for i in range(start, start + n):
        w, _ = s.members.register_work(
            NewWork(
                content=f"work {i} content".encode(),
                title=f"Work {i}",
                kind="article",
                collection="c",
                holders=[(m.id, 10_000)],
                meta={},
            ),
            registered_by=m.id,
        )
        out.append(w.log_index)
    return out

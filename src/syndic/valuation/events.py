"""The valuation domain's log events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from syndic.provenance.events import Event


@dataclass(frozen=True)
class ValuationRan(Event):
    """A valuation run was stored: what it valued, how, on which snapshot, with what result."""

    kind: ClassVar[str] = "valuation.run"
    run: int
    method: str
    params: dict[str, Any]
    seed: int
    snapshot: dict[str, Any]  # {"size", "root"}
    corpus_digest: str
    versions: dict[str, str]
    result_digest: str

"""The bargaining domain's log events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from syndic.provenance.events import Event


@dataclass(frozen=True)
class LeverageRan(Event):
    """A leverage run was stored: on which snapshot, with which data, with what result."""

    kind: ClassVar[str] = "leverage.run"
    run: int
    params: dict[str, Any]
    seed: int
    snapshot: dict[str, Any]  # {"size", "root"}
    outside_digest: str
    splits_digest: str
    features_digest: str
    versions: dict[str, str]
    result_digest: str

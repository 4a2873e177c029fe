"""The events detection records: index rebuilds, stored scans, evidence bundles issued."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from syndic.provenance.events import Event


@dataclass(frozen=True)
class IndexRebuilt(Event):
    """The index of members' works was rebuilt from the pool (``syndic detect reindex``)."""

    kind: ClassVar[str] = "detection.index_rebuilt"
    works: int
    version: dict[str, Any]  # tree_size, root
    params: dict[str, Any]


@dataclass(frozen=True)
class ScanRecorded(Event):
    kind: ClassVar[str] = "detection.scan_recorded"
    scan: int
    dataset_digest: str
    format: str
    records: int
    matches: int
    canaries: int
    params: dict[str, Any]
    index_version: dict[str, Any]


@dataclass(frozen=True)
class EvidenceIssued(Event):
    """A signed evidence bundle for one member's matches in a scan (its SHA-256)."""

    kind: ClassVar[str] = "detection.evidence_issued"
    scan: int
    member: int
    matches: int
    bundle: str

"""Detection's use cases: keep the index level with the pool, scan datasets, store scans.

The pool is read through a ``Catalogue`` the application provides (works live in
``members``, a layer above this one): the active works, each with its digest, the log entry
that registered it and its holders. Texts come from the vault. A work whose content is not
UTF-8 text is not indexed.

The index file is kept level with the pool: ``sync`` (called after every registration,
import, withdrawal or dispute, and before every scan) adds the works that are new and drops
the ones that left, and records the log checkpoint it now covers. ``reindex`` rebuilds it
from nothing and logs that it did.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select

from syndic.detection.events import EvidenceIssued, IndexRebuilt, ScanRecorded
from syndic.detection.evidence import BUNDLE_KIND, BUNDLE_VERSION, sign_bundle
from syndic.detection.index import Params, Version, WorkIndex
from syndic.detection.matching import Match, Thresholds, match_records
from syndic.detection.models import Scan, ScanMatch
from syndic.detection.readers import Fields, Format, Record, dataset_digest, read_records
from syndic.errors import NotFound
from syndic.keys import SigningKey
from syndic.provenance.unit import Transactions
from syndic.vault import Digest, FileVault


@dataclass(frozen=True)
class WorkRef:
    id: int
    digest: str
    log_index: int
    members: tuple[int, ...]


@dataclass(frozen=True)
class EvidenceIssuer:
    """What a bundle needs from the application: who signs, who the coalition is (name,
    origin, public key) and the registration receipts for log entries (as dicts)."""

    signer: SigningKey
    coalition: dict[str, str]
    receipts: Callable[[list[int]], list[dict[str, Any]]]


_SCAN_KEYS = (
    "dataset", "dataset_digest", "format", "params", "index_version", "records", "created_at",
    "log_index",
)  # fmt: skip


class Catalogue(Protocol):
    def active_works(self) -> list[WorkRef]: ...

    def holders(self, work_ids: list[int]) -> dict[int, tuple[int, ...]]: ...

    def log_index(self, work_id: int) -> int: ...

    def version(self) -> Version: ...


CanaryFinder = Callable[[str], list[int]]
"""The agreements whose canaries appear in a text (provided by ``syndic.access``)."""
Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class ScanRequest:
    path: Path
    format: Format
    fields: Fields = field(default_factory=Fields)
    thresholds: Thresholds = field(default_factory=Thresholds)


@dataclass(frozen=True)
class ScanSummary:
    id: int
    dataset_digest: str
    records: int
    matches: list[dict[str, Any]]
    canaries: list[dict[str, Any]]
    index_version: dict[str, Any]
    params: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "scan": self.id,
            "dataset_digest": self.dataset_digest,
            "records": self.records,
            "matches": self.matches,
            "canaries": self.canaries,
            "index_version": self.index_version,
            "params": self.params,
        }


def _text_of(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


class DetectionService:
    def __init__(
        self,
        txs: Transactions,
        vault: FileVault,
        *,
        catalogue: Catalogue,
        index_path: Path,
        params: Params | None = None,
    ) -> None:
        self.txs = txs
        self.vault = vault
        self.catalogue = catalogue
        self.index_path = index_path
        self.params = params or Params()

    # --- the index -------------------------------------------------------------------------
    def reindex(self, *, actor: str = "steward") -> WorkIndex:
        """Rebuild the index from the pool, save it and log the rebuild."""
        version = self.catalogue.version()
        index = self._add(WorkIndex.empty(self.params, version), self.catalogue.active_works())
        index.save(self.index_path)
        with self.txs.write() as tx:
            event = IndexRebuilt(
                works=len(index), version=version.to_dict(), params=self.params.to_dict()
            )
            tx.record(event, actor=actor)
        return index

    def sync(self) -> WorkIndex | None:
        """Bring an existing index level with the pool (None when there is no index yet)."""
        if not self.index_path.exists():
            return None
        index = WorkIndex.load(self.index_path)
        version = self.catalogue.version()
        if index.version == version:
            return index
        works = self.catalogue.active_works()
        now = {w.id for w in works}
        held = {int(i) for i in index.work_ids}
        gone = sorted(held - now)
        index = self._add(index.without(gone, version), [w for w in works if w.id not in held])
        index.save(self.index_path)
        return index

    def index(self) -> WorkIndex:
        """The index, level with the pool (built on first use)."""
        return self.sync() or self.reindex()

    def _add(self, index: WorkIndex, works: Sequence[WorkRef]) -> WorkIndex:
        ids: list[int] = []
        digests: list[str] = []
        texts: list[str] = []
        for w in works:
            text = _text_of(self.vault.read_bytes(Digest.parse(w.digest)))
            if text is not None:
                ids.append(w.id)
                digests.append(w.digest)
                texts.append(text)
        return index.with_works(ids, digests, texts, index.version)

    def near_copies(self, *, threshold: float) -> list[list[dict[str, Any]]]:
        """Groups of members' works that are near copies of each other (estimated Jaccard at
        least ``threshold``, through datasketch's MinHashLSH): the same text registered twice,
        by one member or by two (a dispute waiting to happen)."""
        from syndic.detection.minhash import near_copy_clusters

        index = self.index()
        holders = {w.id: w.members for w in self.catalogue.active_works()}
        ids = [int(i) for i in index.work_ids]
        groups = near_copy_clusters(ids, index.sigs, threshold=threshold, seed=index.params.seed)
        return [[{"work": w, "members": list(holders.get(w, ()))} for w in g] for g in groups]

    def work_text(self, digest: str) -> str:
        return self.vault.read_bytes(Digest.parse(digest)).decode("utf-8", errors="replace")

    # --- scans -----------------------------------------------------------------------------
    def scan(
        self,
        request: ScanRequest,
        *,
        canaries: CanaryFinder | None = None,
        progress: Progress | None = None,
        actor: str = "steward",
    ) -> ScanSummary:
        """Scan a dataset; store and log the scan. Nothing is stored if any record is bad."""
        digest = dataset_digest(request.path, request.format)
        index = self.index()
        found: list[dict[str, Any]] = []
        seen = 0

        def records() -> Any:
            nonlocal seen
            for r in read_records(request.path, request.format, request.fields):
                seen += 1
                if canaries is not None and (named := canaries(r.text)):
                    found.extend(_canary_hits(r, named))
                yield r

        def on_batch(batch: list[Record]) -> None:
            if progress is not None:
                progress("scan", seen, None)

        matches = list(
            match_records(
                records(),
                index,
                thresholds=request.thresholds,
                work_text=lambda row: self.work_text(index.digests[row]),
                on_batch=on_batch,
            )
        )
        holders = self.catalogue.holders([m.work_id for m in matches])
        params = {
            **index.params.to_dict(),
            **request.thresholds.to_dict(),
            "text_field": request.fields.text,
            "id_field": request.fields.id,
        }
        summary = ScanSummary(
            id=-1,
            dataset_digest=digest,
            records=seen,
            matches=[_match_dict(m, holders.get(m.work_id, ())) for m in matches],
            canaries=found,
            index_version=index.version.to_dict(),
            params=params,
        )
        scan_id = self._store(request, summary, matches, holders, actor=actor)
        return dataclasses.replace(summary, id=scan_id)

    def _store(
        self,
        request: ScanRequest,
        summary: ScanSummary,
        matches: list[Match],
        holders: dict[int, tuple[int, ...]],
        *,
        actor: str,
    ) -> int:
        with self.txs.write() as tx:
            scan = Scan(
                dataset=str(request.path),
                dataset_digest=summary.dataset_digest,
                format=request.format.value,
                params=summary.params,
                index_version=summary.index_version,
                records=summary.records,
                matches=len(matches),
                canaries=summary.canaries,
                created_at=tx.now(),
                log_index=-1,
            )
            tx.session.add(scan)
            tx.session.flush()
            tx.session.add_all(_match_row(scan.id, m, holders.get(m.work_id, ())) for m in matches)
            event = ScanRecorded(
                scan=scan.id,
                dataset_digest=summary.dataset_digest,
                format=request.format.value,
                records=summary.records,
                matches=len(matches),
                canaries=len(summary.canaries),
                params=summary.params,
                index_version=summary.index_version,
            )
            scan.log_index = tx.record(event, actor=actor)
            return scan.id

    def get_scan(self, scan_id: int) -> dict[str, Any]:
        with self.txs.read() as session:
            scan = session.get(Scan, scan_id)
            if scan is None:
                raise NotFound(f"no scan with id {scan_id}")
            return {
                "scan": scan.id,
                "dataset": scan.dataset,
                "dataset_digest": scan.dataset_digest,
                "format": scan.format,
                "params": scan.params,
                "index_version": scan.index_version,
                "records": scan.records,
                "matches": scan.matches,
                "canaries": scan.canaries,
                "created_at": scan.created_at.isoformat(),
                "log_index": scan.log_index,
            }

    def evidence(
        self, scan_id: int, member: int, *, issuer: EvidenceIssuer, actor: str = "steward"
    ) -> bytes:
        """A signed evidence bundle of ``member``'s matches in scan ``scan_id``; logged."""
        scan = self.get_scan(scan_id)
        matches = self.scan_matches(scan_id, member=member)
        if not matches:
            raise NotFound(f"scan {scan_id} found no work of member {member}")
        # the receipt proves registration, so a work withdrawn since the scan still has one
        receipts = issuer.receipts([self.catalogue.log_index(m["work"]) for m in matches])
        for m, receipt in zip(matches, receipts, strict=True):
            m["receipt"] = receipt
            m["work_text"] = self.work_text(m["digest"])
        with self.txs.write() as tx:
            body = {
                "v": BUNDLE_VERSION,
                "kind": BUNDLE_KIND,
                "coalition": issuer.coalition,
                "issued_at": tx.now().isoformat(),
                "member": member,
                "scan": {k: scan[k] for k in _SCAN_KEYS} | {"id": scan_id},
                "matches": matches,
            }
            data = sign_bundle(body, issuer.signer)
            event = EvidenceIssued(
                scan=scan_id,
                member=member,
                matches=len(matches),
                bundle="sha256:" + hashlib.sha256(data).hexdigest(),
            )
            tx.record(event, actor=actor)
        return data

    def findings(self, member: int) -> list[dict[str, Any]]:
        """The stored scans that matched ``member``'s works, newest first: the scan, when,
        the dataset's digest, how many records matched and the highest similarity figures
        among them (what a member's page lists, each with its evidence bundle to fetch)."""
        per: dict[int, dict[str, Any]] = {}
        with self.txs.read() as session:
            rows = session.execute(
                select(
                    ScanMatch.scan_id,
                    ScanMatch.position,
                    ScanMatch.work_id,
                    ScanMatch.jaccard,
                    ScanMatch.containment,
                    ScanMatch.members,
                )
            )
            for scan_id, position, work_id, jac, cont, members in rows:
                if member not in members:
                    continue
                f = per.setdefault(
                    scan_id, {"records": set(), "works": set(), "jaccard": 0.0, "containment": 0.0}
                )
                f["records"].add(position)
                f["works"].add(work_id)
                f["jaccard"] = max(f["jaccard"], jac)
                f["containment"] = max(f["containment"], cont)
            scans: list[Scan] = (
                list(session.scalars(select(Scan).where(Scan.id.in_(list(per))))) if per else []
            )
            out = [
                {
                    "scan": scan.id,
                    "created_at": scan.created_at,
                    "dataset_digest": scan.dataset_digest,
                    "records_scanned": scan.records,
                    "records": len(per[scan.id]["records"]),
                    "works": len(per[scan.id]["works"]),
                    "top_jaccard": per[scan.id]["jaccard"],
                    "top_containment": per[scan.id]["containment"],
                }
                for scan in scans
            ]
        return sorted(out, key=lambda f: f["scan"], reverse=True)

    def scan_matches(self, scan_id: int, *, member: int | None = None) -> list[dict[str, Any]]:
        """A stored scan's matches (those of one member's works when ``member`` is given)."""
        self.get_scan(scan_id)
        with self.txs.read() as session:
            rows = session.scalars(
                select(ScanMatch).where(ScanMatch.scan_id == scan_id).order_by(ScanMatch.id)
            )
            out = [_stored_match(r) for r in rows]
        return [m for m in out if member is None or member in m["members"]]


def _canary_hits(r: Record, agreements: list[int]) -> list[dict[str, Any]]:
    return [{"position": r.position, "record": r.id, "agreement": a} for a in agreements]


def _match_dict(m: Match, members: tuple[int, ...]) -> dict[str, Any]:
    return {
        "position": m.position,
        "record": m.record_id,
        "where": m.where,
        "work": m.work_id,
        "digest": m.digest,
        "members": list(members),
        "jaccard": m.jaccard,
        "containment": m.containment,
        "record_containment": m.record_containment,
        "shared_shingles": m.shared,
        "span": m.span.to_dict(),
    }


def _match_row(scan_id: int, m: Match, members: tuple[int, ...]) -> ScanMatch:
    return ScanMatch(
        scan_id=scan_id,
        position=m.position,
        record_id=m.record_id,
        location=m.where,
        work_id=m.work_id,
        digest=m.digest,
        members=list(members),
        jaccard=m.jaccard,
        containment=m.containment,
        record_containment=m.record_containment,
        shared=m.shared,
        span=m.span.to_dict(),
        record_passage=m.span.record_text,
        work_passage=m.span.work_text,
    )


def _stored_match(r: ScanMatch) -> dict[str, Any]:
    return {
        "position": r.position,
        "record": r.record_id,
        "where": r.location,
        "work": r.work_id,
        "digest": r.digest,
        "members": list(r.members),
        "jaccard": r.jaccard,
        "containment": r.containment,
        "record_containment": r.record_containment,
        "shared_shingles": r.shared,
        "span": r.span,
        "record_passage": r.record_passage,
        "work_passage": r.work_passage,
    }

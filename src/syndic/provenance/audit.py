"""``syndic log verify``: recompute the whole log from its entries and compare with what is stored.

Checked, in one pass over the entries in index order:

* the indices run 0..size-1 with no gap (a deleted row is named by its index);
* every leaf hash and every complete-subtree hash recomputed from the entries equals the one
  stored (an edited or reordered entry is named by its index);
* the root at every stored checkpoint equals the recomputed root, and each checkpoint note
  is signed by the coalition key, for this log, with that size and root;
* the head row's size and frontier match;
* every vault blob that a ``work.registered`` entry names is present and hashes to its name.

If someone rewrote entries *and* the stored hashes consistently, only the signed checkpoints
can tell; the report then names the first index of the range the earliest failing checkpoint
covers beyond the last good one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from syndic.errors import SyndicError
from syndic.provenance.checkpoint import LogSigner
from syndic.provenance.merkle import Frontier, leaf_hash
from syndic.provenance.models import LogCheckpoint, LogEntry, LogHead, LogNode
from syndic.vault import Digest, FileVault

CHUNK = 4096
BLOB_EVENTS = {"work.registered"}


@dataclass
class AuditReport:
    size: int = 0
    entries_checked: int = 0
    nodes_checked: int = 0
    checkpoints_checked: int = 0
    blobs_checked: int = 0
    first_bad_index: int | None = None
    found: list[tuple[int | None, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.found

    @property
    def problems(self) -> list[str]:
        """Problems by the index they name, the ones that name none last."""
        ranked = sorted(self.found, key=lambda f: (f[0] is None, f[0] or 0))
        return [message for _, message in ranked]

    def flag(self, index: int | None, problem: str) -> None:
        if index is not None and (self.first_bad_index is None or index < self.first_bad_index):
            self.first_bad_index = index
        if len(self.found) < 100:
            self.found.append((index, problem))

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "size": self.size,
            "entries_checked": self.entries_checked,
            "nodes_checked": self.nodes_checked,
            "checkpoints_checked": self.checkpoints_checked,
            "blobs_checked": self.blobs_checked,
            "first_bad_index": self.first_bad_index,
            "problems": self.problems,
        }


AuditProgress = Callable[[str, int, int | None], None]  # (stage, done, total)


def audit_log(
    session: Session,
    *,
    signer: LogSigner,
    vault: FileVault | None,
    progress: AuditProgress | None = None,
) -> AuditReport:
    """Recompute the tree from the entries and compare it with everything stored and signed;
    ``progress`` hears how many entries are checked after each chunk."""
    return _Audit(session, signer).run(vault, progress or _quiet)


def _quiet(stage: str, done: int, total: int | None) -> None:
    pass


class _Audit:
    """One pass over the log in index order; its state is what the pass has seen so far."""

    def __init__(self, session: Session, signer: LogSigner) -> None:
        self.session = session
        self.signer = signer
        self.report = AuditReport()
        head = session.execute(select(LogHead.size).where(LogHead.id == 1)).first()
        self.size = 0 if head is None else int(head[0])
        self.report.size = self.size
        self.frontier = Frontier()
        self.blobs: dict[Digest, int] = {}
        self.bad: set[tuple[int, int]] = set()
        self.pending: list[LogCheckpoint] = []
        self.last_good_checkpoint = 0
        self.stored_roots_ok = True
        self.signed_range_start: int | None = None  # where the first failing range begins
        self.expected = 0

    def run(self, vault: FileVault | None, progress: AuditProgress) -> AuditReport:
        self._load_checkpoints()
        progress("log entries", 0, self.size)
        while rows := self._next_chunk():
            created: list[tuple[int, int, bytes]] = []
            for raw_idx, entry, kind in rows:
                if not self._entry(int(raw_idx), bytes(entry), kind, created):
                    return _finish(self.report, self.session, self.size, self.frontier)
            _compare_nodes(self.report, self.session, created, self.bad)
            progress("log entries", self.report.entries_checked, self.size)
        progress("stored works", 0, len(self.blobs))
        if self.expected < self.size:
            self.report.flag(self.expected, f"log entry {self.expected} is missing")
        if self.report.first_bad_index is None and self.signed_range_start is not None:
            # entries and stored hashes were rewritten consistently: only the signature tells
            self.report.first_bad_index = self.signed_range_start
        return _finish(
            self.report, self.session, self.size, self.frontier, blobs=self.blobs, vault=vault
        )

    def _load_checkpoints(self) -> None:
        checkpoints = list(self.session.scalars(select(LogCheckpoint).order_by(LogCheckpoint.size)))
        self.pending = [cp for cp in checkpoints if cp.size > 0]
        for cp in checkpoints:
            if cp.size == 0:
                _check_note(self.report, self.signer, cp, Frontier().root())
            if cp.size > self.size:
                self.report.flag(
                    self.size, f"checkpoint of size {cp.size} is beyond the log (size {self.size})"
                )

    def _next_chunk(self) -> Sequence[Row[int, bytes, str]]:
        return self.session.execute(
            select(LogEntry.idx, LogEntry.entry, LogEntry.kind)
            .where(LogEntry.idx >= self.expected)
            .order_by(LogEntry.idx)
            .limit(CHUNK)
        ).all()

    def _entry(
        self, idx: int, entry: bytes, kind: str, created: list[tuple[int, int, bytes]]
    ) -> bool:
        """Take in one entry; False when the log cannot be read further (a gap, an overrun)."""
        if idx != self.expected:
            self.report.flag(self.expected, f"log entry {self.expected} is missing")
            return False
        if idx >= self.size:
            self.report.flag(idx, f"log entry {idx} lies beyond the head (size {self.size})")
            return False
        created.extend(self.frontier.append(leaf_hash(entry)))
        self.report.entries_checked += 1
        if kind in BLOB_EVENTS:
            _collect_blob(self.report, self.blobs, idx, entry)
        self.expected += 1
        while self.pending and self.pending[0].size == self.frontier.size:
            self._checkpoint(self.pending.pop(0))
        return True

    def _checkpoint(self, cp: LogCheckpoint) -> None:
        """Compare a signed checkpoint with the tree recomputed up to its size."""
        if _check_note(self.report, self.signer, cp, self.frontier.root()):
            if self.stored_roots_ok:
                self.last_good_checkpoint = cp.size
            return
        self.stored_roots_ok = False
        self.report.flag(
            None,
            f"the log up to checkpoint {cp.size} differs from what was signed; "
            f"the change lies in entries {self.last_good_checkpoint}..{cp.size - 1}",
        )
        if self.signed_range_start is None:
            self.signed_range_start = self.last_good_checkpoint


def _check_note(report: AuditReport, signer: LogSigner, cp: LogCheckpoint, root: bytes) -> bool:
    report.checkpoints_checked += 1
    try:
        parsed = signer.open(cp.note)
    except SyndicError as exc:
        report.flag(None, f"checkpoint {cp.size}: {exc.message}")
        return False
    if parsed.size != cp.size or parsed.root != bytes(cp.root):
        report.flag(None, f"checkpoint {cp.size}: signed note does not match its stored row")
        return False
    return parsed.root == root


def _collect_blob(report: AuditReport, blobs: dict[Digest, int], idx: int, entry: bytes) -> None:
    try:
        payload = json.loads(entry).get("payload", {})
        digest = Digest.parse(payload["digest"])
    except (ValueError, AttributeError, KeyError, TypeError, SyndicError):
        report.flag(idx, f"log entry {idx} names no valid blob digest")
        return
    blobs.setdefault(digest, idx)


def _compare_nodes(
    report: AuditReport,
    session: Session,
    created: list[tuple[int, int, bytes]],
    bad: set[tuple[int, int]],
) -> None:
    """Compare the subtrees completed by a chunk of leaves with the stored ones, per level.

    A node above a bad node is bad as a consequence and is not reported again, so the first
    bad index is the edited leaf, not the start of the subtree that contains it.
    """
    by_level: dict[int, dict[int, bytes]] = {}
    for level, idx, h in created:
        by_level.setdefault(level, {})[idx] = h
    for level, want in sorted(by_level.items()):
        lo, hi = min(want), max(want)
        stored = {
            int(i): bytes(h)
            for i, h in session.execute(
                select(LogNode.idx, LogNode.hash).where(
                    LogNode.level == level, LogNode.idx >= lo, LogNode.idx <= hi
                )
            )
        }
        for idx in sorted(want):
            report.nodes_checked += 1
            if stored.get(idx) == want[idx]:
                continue
            bad.add((level, idx))
            if level and ((level - 1, 2 * idx) in bad or (level - 1, 2 * idx + 1) in bad):
                continue
            first_leaf = idx << level
            what = (
                f"leaf hash of entry {idx}" if level == 0 else f"hash of subtree ({level}, {idx})"
            )
            state = "is missing" if idx not in stored else "does not match the entries"
            report.flag(first_leaf, f"stored {what} {state} (entry {first_leaf} onwards)")


def _finish(
    report: AuditReport,
    session: Session,
    size: int,
    frontier: Frontier,
    *,
    blobs: dict[Digest, int] | None = None,
    vault: FileVault | None = None,
) -> AuditReport:
    count = int(session.scalar(select(func.count()).select_from(LogEntry)) or 0)
    if count != size and report.ok:
        report.flag(min(count, size), f"the log holds {count} entries but its head says {size}")
    if frontier.size == size:
        head = session.scalar(select(LogHead.frontier).where(LogHead.id == 1))
        if head is not None and bytes(head) != b"".join(frontier.hashes) and report.ok:
            report.flag(None, "the head row's frontier does not match the entries")
    if vault is not None and blobs:
        vreport = vault.verify(blobs)
        report.blobs_checked = vreport.checked
        for digest in vreport.missing:
            report.flag(
                blobs[digest], f"vault blob {digest} (log entry {blobs[digest]}) is missing"
            )
        for digest in vreport.corrupted:
            report.flag(
                blobs[digest], f"vault blob {digest} (log entry {blobs[digest]}) is corrupted"
            )
    return report

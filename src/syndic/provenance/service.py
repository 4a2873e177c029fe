"""``ProvenanceService``: the log's use cases: checkpoints, entries, proofs, audit, tiles, receipts.

The CLI (``syndic log``, ``syndic receipt``) and the API's read-only tile paths call these.
Hashes leave this module base64-encoded, as in checkpoints and C2SP tooling.
"""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from syndic.clock import Clock
from syndic.errors import InvalidInput, NotFound
from syndic.keys import Signer
from syndic.provenance.audit import AuditProgress, AuditReport, audit_log
from syndic.provenance.checkpoint import LogSigner
from syndic.provenance.log import StoredCheckpoint, TransparencyLog
from syndic.provenance.receipt import WORK_EVENT, Receipt
from syndic.provenance.tiles import export_tiles, parse_tile_path, read_tile
from syndic.storage.db import Database
from syndic.vault import FileVault

_RECEIPT_BATCH = 1000  # proofs whose nodes are fetched together


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


class ProvenanceService:
    """Built once per application. It hands the log its signer, so that from then on the log
    signs a checkpoint every ``checkpoint_every`` appends in the appending transaction."""

    def __init__(
        self,
        *,
        db: Database,
        log: TransparencyLog,
        vault: FileVault,
        signer: Signer,
        origin: str,
        clock: Clock,
        checkpoint_every: int | None = None,
    ) -> None:
        if checkpoint_every is not None:
            log.checkpoint_every = checkpoint_every
        self.db = db
        self.log = log
        self.vault = vault
        self.signer = LogSigner(origin, signer)
        self.public_key = signer.public_b64
        self.clock = clock
        if log.signer is None:
            log.signer = self.signer

    @property
    def origin(self) -> str:
        return self.signer.origin

    def verifier_key(self) -> str:
        """The C2SP verifier key string (``origin+keyid+base64``) for tlog clients."""
        return str(self.signer.verifier)

    # --- checkpoints ---------------------------------------------------------------------
    def checkpoint(self) -> StoredCheckpoint:
        """The signed checkpoint of the current tree, signing one now if the tree has grown."""
        with self.db.read() as session:
            latest = self.log.latest_checkpoint(session)
            if latest is not None and latest.size == self.log.size(session):
                return latest
        with self.db.write() as session:
            return self.log.make_checkpoint(session, at=self.clock.now())

    def published_checkpoint(self) -> StoredCheckpoint:
        """The latest stored checkpoint, without signing (what read-only endpoints serve)."""
        with self.db.read() as session:
            latest = self.log.latest_checkpoint(session)
        if latest is None:
            raise NotFound("the log has no signed checkpoint yet")
        return latest

    # --- entries and proofs --------------------------------------------------------------
    def entry(self, index: int) -> bytes:
        with self.db.read() as session:
            return self.log.entry(session, index)

    def prove_inclusion(self, index: int, size: int | None = None) -> dict[str, Any]:
        with self.db.read() as session:
            n = self.log.size(session) if size is None else size
            proof = self.log.inclusion_proof(session, index, n)
            return {
                "index": index,
                "tree_size": n,
                "leaf_hash": b64(self.log.leaf_hash(session, index)),
                "proof": [b64(h) for h in proof],
                "root": b64(self.log.root(session, n)),
            }

    def prove_consistency(self, old_size: int, new_size: int) -> dict[str, Any]:
        if old_size > new_size:
            raise InvalidInput(f"old size {old_size} is larger than new size {new_size}")
        with self.db.read() as session:
            proof = self.log.consistency_proof(session, old_size, new_size)
            return {
                "old_size": old_size,
                "new_size": new_size,
                "proof": [b64(h) for h in proof],
                "old_root": b64(self.log.root(session, old_size)),
                "new_root": b64(self.log.root(session, new_size)),
            }

    def kind_counts(self) -> dict[str, int]:
        """How many entries the log holds of each kind, most frequent first."""
        with self.db.read() as session:
            return self.log.kind_counts(session)

    # --- audit ---------------------------------------------------------------------------
    def verify(self, *, progress: AuditProgress | None = None) -> AuditReport:
        with self.db.read() as session:
            return audit_log(session, signer=self.signer, vault=self.vault, progress=progress)

    # --- publishing ----------------------------------------------------------------------
    def export_tiles(self, directory: Path) -> tuple[StoredCheckpoint, int]:
        """Write the log at a fresh checkpoint as C2SP tlog-tiles under ``directory``."""
        cp = self.checkpoint()
        with self.db.read() as session:
            count = export_tiles(
                directory,
                size=cp.size,
                checkpoint=cp.note,
                hashes=lambda level, a, b: self.log.hashes(session, level, a, b),
                entries=lambda a, b: self.log.entries(session, a, b),
            )
        return cp, count

    def tile(self, path: str) -> bytes:
        """One tile or entry bundle of the latest published checkpoint's tree (read-only)."""
        ref = parse_tile_path(path)
        size = self.published_checkpoint().size
        with self.db.read() as session:
            return read_tile(
                ref,
                size,
                lambda level, a, b: self.log.hashes(session, level, a, b),
                lambda a, b: self.log.entries(session, a, b),
            )

    # --- receipts ------------------------------------------------------------------------
    def receipt(self, index: int) -> Receipt:
        """The receipt for the work registered by log entry ``index``, against a checkpoint
        that contains it (signed now if none does yet)."""
        with self.db.read() as session:
            cp = self.log.latest_checkpoint(session)
        if cp is None or cp.size <= index:
            cp = self.checkpoint()
        return next(self._receipts([index], cp))

    def receipts(self, indices: Iterable[int]) -> Iterator[Receipt]:
        """Receipts for many registrations, all proved against one fresh checkpoint."""
        return self._receipts(indices, self.checkpoint())

    def _receipts(self, indices: Iterable[int], cp: StoredCheckpoint) -> Iterator[Receipt]:
        it = iter(indices)
        while batch := list(itertools.islice(it, _RECEIPT_BATCH)):
            with self.db.read() as session:
                proofs = self.log.inclusion_proofs(session, batch, cp.size)
                entries = [self.log.entry(session, index) for index in batch]
            for index, entry, proof in zip(batch, entries, proofs, strict=True):
                yield Receipt(
                    origin=self.origin,
                    public_key=self.public_key,
                    work=_work_digest(entry, index),
                    index=index,
                    entry=entry,
                    tree_size=cp.size,
                    proof=tuple(proof),
                    checkpoint=cp.note,
                )


def _work_digest(entry: bytes, index: int) -> str:
    """The digest a work-registration entry names; anything else is refused."""
    try:
        event = json.loads(entry)
        digest = event["payload"]["digest"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"log entry {index} is not a {WORK_EVENT} event") from exc
    if event.get("kind") != WORK_EVENT or not isinstance(digest, str):
        raise InvalidInput(f"log entry {index} is not a {WORK_EVENT} event")
    return digest

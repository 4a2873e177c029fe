"""Near copies found at registration: is a new work a near copy of one already in the pool?

Every work with text gets its MinHash signature (``syndic.detection.minhash``, the one
implementation detection's index and valuation's replication check use) stored beside it in
``work_signatures``, in the transaction that registers it. A new work is compared with the
signatures of the pool's works (those not withdrawn, in registration order) and with the
works registered before it in the same batch; its earliest match whose estimated Jaccard
similarity of word 5-shingles reaches ``NEAR_COPY_THRESHOLD`` (the threshold valuation counts
copies once at) is recorded in ``near_copies``:

* the same holders as that work: ``own`` (one contribution; valuation values it once);
* other holders: ``candidate``, a dispute candidate. The work is accepted and stays in deals;
  the steward sees it (``syndic work copies --candidates``) and may open a dispute.

The text compared is the one valuation reads: the extracted text, or the work itself when it
is text. The pool's signatures are read once, by the members service (kept between single
registrations) or by an import (kept across its batches), and then only the works registered
since (``PoolSigs.refresh``, which reads everything again after a withdrawal): never one query
per row. A pool larger than ``HELD_SIGNATURES`` keeps only its band index and reads the
signatures its candidates need. Imported lazily: it brings numpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from syndic.detection import NEAR_COPY_THRESHOLD, minhash
from syndic.members.models import NearCopyState, Share, Work, WorkSignature, WorkStatus
from syndic.storage.bulk import in_chunks


def text_of(content: bytes, media_type: str, text: bytes | None) -> str | None:
    """The text valuation reads for a work (``valuation.service.text_blob``), or None."""
    if text is not None:
        return text.decode("utf-8", "replace")
    if media_type.startswith("text/"):
        return content.decode("utf-8", "replace")
    return None


@dataclass(frozen=True)
class Found:
    """New row ``row`` of a batch is a near copy of ``copy_of`` (a work id, or None while
    that work is itself in the batch: then ``batch_row`` names it)."""

    row: int
    copy_of: int | None
    batch_row: int | None
    similarity: float


HELD_SIGNATURES = 1 << 16
"""A pool up to this many works keeps its signatures in memory (32 MiB at most): a single
registration compares with every one of them directly. A larger pool keeps only its band
index (``minhash.BandIndex``, 256 bytes a work) and reads from ``work_signatures`` the few
signatures its candidates need, so a million-work pool does not hold half a gigabyte."""
_READ_ROWS = 50_000  # signatures read at a time when the pool is read from the database


class PoolSigs:
    """The pool's works in registration order (their ids) with their LSH band index, and
    their signatures while the pool is small (``HELD_SIGNATURES``); kept by the members
    service between registrations and by an import across its batches, and brought level
    with the database at each use (``refresh``)."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._ids = np.empty(0, dtype=np.int64)  # grown by doubling; the first n are held
        self._sigs: minhash.Signatures | None = np.empty((0, minhash.NUM_PERM), dtype=np.uint32)
        self.n = 0
        self.index = minhash.BandIndex()
        self.last = 0  # the largest work id read
        self.withdrawn = 0  # works withdrawn when the pool was read
        self._session: Session | None = None  # the one ``find`` reads signatures with

    def refresh(self, session: Session) -> None:
        """Add the works registered since the last read (all of them the first time), a
        chunk at a time; read it all again if works were withdrawn since (rare). Called
        inside the writing transaction with the log's head held, so no registration slips
        between (work ids are drawn under that hold too, so they grow in registration
        order)."""
        withdrawn = session.scalar(
            select(func.count()).select_from(Work).where(Work.status == WorkStatus.WITHDRAWN)
        )
        if withdrawn != self.withdrawn:
            self._reset()
            self.withdrawn = int(withdrawn or 0)
        while True:
            rows = session.execute(
                select(WorkSignature.work_id, WorkSignature.sig)
                .join(Work, Work.id == WorkSignature.work_id)
                .where(WorkSignature.work_id > self.last, Work.status != WorkStatus.WITHDRAWN)
                .order_by(WorkSignature.work_id)
                .limit(_READ_ROWS)
            ).all()
            if not rows:
                return
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            self.add(ids, _unpacked([r[1] for r in rows]))

    @property
    def ids(self) -> npt.NDArray[np.int64]:
        return self._ids[: self.n]

    def add(self, ids: npt.NDArray[np.int64], sigs: minhash.Signatures) -> None:
        """Works ``ids`` (registered after every work held) with their signatures."""
        if not len(ids):
            return
        end = self.n + len(ids)
        if end > len(self._ids):  # grow by doubling: one registration copies nothing
            self._ids = np.resize(self._ids, max(end, 2 * len(self._ids), 1024))
        self._ids[self.n : end] = ids
        self.index.add(minhash.band_keys(sigs, bands=self.index.bands))
        if self._sigs is not None and end <= HELD_SIGNATURES:
            if end > len(self._sigs):  # grown by doubling too, up to the cap
                size = min(max(end, 2 * len(self._sigs), 1024), HELD_SIGNATURES)
                grown = np.empty((size, sigs.shape[1]), dtype=np.uint32)
                grown[: self.n] = self._sigs[: self.n]
                self._sigs = grown
            self._sigs[self.n : end] = sigs
        else:
            self._sigs = None  # from here on read from the database where needed
        self.n = end
        self.last = max(self.last, int(ids.max()))

    def __len__(self) -> int:
        return self.n

    def take(self, rows: npt.NDArray[np.intp]) -> minhash.Signatures:
        """The signatures of pool rows ``rows`` (registration order): held, or read."""
        if self._sigs is not None:
            return self._sigs[rows]
        assert self._session is not None, "signatures are read only inside find"
        wanted, back = np.unique(self._ids[rows], return_inverse=True)
        keys = wanted.tolist()
        got: dict[int, bytes] = {}
        for chunk in in_chunks(keys):
            for work_id, sig in self._session.execute(
                select(WorkSignature.work_id, WorkSignature.sig).where(
                    WorkSignature.work_id.in_(chunk)
                )
            ):
                got[work_id] = sig
        return _unpacked([got[k] for k in keys])[back.reshape(-1)]

    def find(
        self,
        session: Session,
        texts: Sequence[str | None],
        *,
        sigs: minhash.Signatures | None = None,
        threshold: float = NEAR_COPY_THRESHOLD,
    ) -> tuple[minhash.Signatures, list[Found]]:
        """Signatures of the batch's ``texts`` (``sign``; or ``sigs``, signed already) and
        each new row's earliest near copy among the pool and the rows before it."""
        if sigs is None:
            sigs = sign(texts)
        start = self.n
        self._session = session
        try:
            rows, earliest, sim = minhash.earlier_near_copies(
                self, sigs, threshold=threshold, index=self.index
            )
        finally:
            self._session = None
        found = [
            Found(
                row=int(r) - start,
                copy_of=int(self._ids[e]) if e < start else None,
                batch_row=None if e < start else int(e) - start,
                similarity=float(s),
            )
            for r, e, s in zip(rows, earliest, sim, strict=True)
        ]
        return sigs, found


def _unpacked(stored: list[bytes]) -> minhash.Signatures:
    """Signatures as ``work_signatures`` stores them (little-endian uint32) back to rows."""
    flat = np.frombuffer(b"".join(stored), dtype="<u4")
    return flat.reshape(len(stored), minhash.NUM_PERM).astype(np.uint32)


def sign(texts: Sequence[str | None]) -> minhash.Signatures:
    """One signature row per text; a text that is None (no text) gets an empty row."""
    with_text = [i for i, t in enumerate(texts) if t is not None]
    sigs = np.full((len(texts), minhash.NUM_PERM), np.uint32(0xFFFFFFFF), dtype=np.uint32)
    if with_text:
        sigs[with_text] = minhash.signatures([texts[i] or "" for i in with_text])
    return sigs


def holders_of(session: Session, work_ids: Sequence[int]) -> dict[int, set[int]]:
    """The members holding each work (a few queries of ``IN_KEYS`` ids)."""
    out: dict[int, set[int]] = {w: set() for w in work_ids}
    for chunk in in_chunks(sorted(out)):
        for w, m in session.execute(
            select(Share.work_id, Share.member_id).where(Share.work_id.in_(chunk))
        ):
            out[w].add(m)
    return out


def state_for(holders: set[int], original: set[int]) -> NearCopyState:
    return NearCopyState.OWN if holders == original else NearCopyState.CANDIDATE


def signature_bytes(sig: minhash.Signatures) -> bytes:
    return sig.astype("<u4").tobytes()


def empty_rows(sigs: minhash.Signatures) -> list[bool]:
    """Which rows are empty signatures (texts without words): none is stored."""
    return np.all(sigs == np.uint32(0xFFFFFFFF), axis=1).tolist()  # type: ignore[no-any-return]

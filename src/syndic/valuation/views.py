"""What the valuation service hands to the edges: runs, member values, work values (read from
the stored rows by attribute: ``RunView.model_validate(row)``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class _View(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)


class RunView(_View):
    id: int
    method: str
    label: str
    seed: int
    params: dict[str, Any]
    snapshot_size: int
    snapshot_root: str
    corpus_digest: str
    versions: dict[str, Any]
    summary: dict[str, Any]
    result_digest: str
    actor: str
    created_at: datetime
    log_index: int


class MemberValueView(_View):
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


class WorkValueView(_View):
    work_id: int
    role: str
    value: float
    stderr: float
    label: str
    holders: list[list[int]]

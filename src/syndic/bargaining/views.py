"""What the leverage service hands to the edges."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class LeverageRunView(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int
    label: str
    seed: int
    params: dict[str, Any]
    snapshot_size: int
    snapshot_root: str
    outside_digest: str
    splits_digest: str
    features_digest: str
    versions: dict[str, Any]
    points: list[Any]
    result: dict[str, Any]
    result_digest: str
    actor: str
    created_at: datetime
    log_index: int

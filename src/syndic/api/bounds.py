"""Every integer the API reads is bounded at the edge to what its column holds, so a number
no column can store is a 422 with our error body, never an overflow deep inside.

Ids are BIGINT on PostgreSQL (migration ``0008_bigint_ids``) and INTEGER (64-bit) on SQLite,
so both hold ``MAX_ID``; ids start at 1. Pages are bounded too: a negative limit or offset is
refused rather than read as "every row"."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import Field

from syndic.money import MAX_MINOR

MAX_ID = 2**63 - 1
"""The largest signed 64-bit integer: what a BIGINT (PostgreSQL) or INTEGER (SQLite) holds."""
MAX_PAGE = 1000
"""The most rows one list request returns."""
MAX_COUNT = 2**63 - 1

PathId = Annotated[int, Path(ge=1, le=MAX_ID, description="an id (1 to 2^63-1)")]
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID, description="an id (1 to 2^63-1)")]
Limit = Annotated[int, Query(ge=0, le=MAX_PAGE, description=f"rows to return (0 to {MAX_PAGE})")]
Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="rows to skip (0 or more)")]

BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Minor = Annotated[int, Field(ge=0, le=MAX_MINOR, description="money in minor units")]
ShareBp = Annotated[int, Field(ge=0, le=10_000, description="a share in basis points")]

"""Declarative base and the column types every domain shares."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Integer, select
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.types import TypeDecorator

# SQLite only auto-increments INTEGER PRIMARY KEY, so big integers fall back to INTEGER there.
BigInt = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps are stored as naive UTC and always come back timezone-aware (UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map = {  # noqa: RUF012  (SQLAlchemy reads this class attribute)
        int: BigInt,  # ids and counts hold what the API admits (2^63-1) on PostgreSQL too
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


R = TypeVar("R", bound=Base)


def newest_or_get(
    session: Session, model: type[R], row_id: int | None, *, what: str, none_yet: str
) -> R:
    """Row ``row_id`` of ``model`` or, without an id, its newest row (valuation and leverage
    runs); ``NotFound`` saying ``none_yet`` when there is none, or "no <what> with id N"."""
    from syndic.errors import NotFound

    if row_id is None:
        newest: R | None = session.scalar(
            select(model).order_by(getattr(model, "id").desc()).limit(1)  # noqa: B009  (every run table has an id)
        )
        if newest is None:
            raise NotFound(none_yet)
        return newest
    found = session.get(model, row_id)
    if found is None:
        raise NotFound(f"no {what} with id {row_id}")
    return found

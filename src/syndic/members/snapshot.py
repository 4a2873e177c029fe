"""The pool as it stood at a log checkpoint: the works valuation and leverage runs read."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from syndic.members.models import Work, WorkStatus

PAGE = 1000


def snapshot_works(
    read: Callable[[], AbstractContextManager[Session]], snapshot_size: int, *, page: int = PAGE
) -> Iterator[Work]:
    """Active works registered before log entry ``snapshot_size``, in id order, with their
    shares loaded; read a page at a time (keyset by id), each page in its own read."""
    last = 0
    while True:
        with read() as s:
            rows = list(
                s.scalars(
                    select(Work)
                    .options(selectinload(Work.shares))
                    .where(
                        Work.id > last,
                        Work.status == WorkStatus.ACTIVE,
                        Work.log_index < snapshot_size,
                    )
                    .order_by(Work.id)
                    .limit(page)
                )
            )
        if not rows:
            return
        yield from rows
        last = rows[-1].id

"""The pool as detection reads it: the active works and the log checkpoint (app layer).

``syndic.detection`` sits below ``members``, so it cannot read works itself; ``PoolCatalogue``
answers its ``Catalogue`` port from the members service and the log."""

from __future__ import annotations

from sqlalchemy import select

from syndic.detection.index import Version
from syndic.detection.service import WorkRef
from syndic.members.models import Share, Work, WorkStatus
from syndic.members.service import MemberService
from syndic.provenance.log import TransparencyLog
from syndic.storage.db import Database

_IN_CHUNK = 500  # ids per IN (...) list: well under SQLite's bound on parameters


class PoolCatalogue:
    def __init__(self, members: MemberService, db: Database, log: TransparencyLog) -> None:
        self.members = members
        self.db = db
        self.log = log

    def active_works(self) -> list[WorkRef]:
        """Two queries whatever the pool's size (it runs after every change to the pool)."""
        with self.db.read() as session:
            works = session.execute(
                select(Work.id, Work.digest, Work.log_index)
                .where(Work.status == WorkStatus.ACTIVE)
                .order_by(Work.id)
            ).all()
            holders: dict[int, list[int]] = {}
            for work_id, member_id in session.execute(
                select(Share.work_id, Share.member_id).order_by(Share.work_id, Share.member_id)
            ):
                holders.setdefault(work_id, []).append(member_id)
        return [WorkRef(i, d, li, tuple(holders.get(i, ()))) for i, d, li in works]

    def holders(self, work_ids: list[int]) -> dict[int, tuple[int, ...]]:
        """The members holding each of ``work_ids`` (one query, whatever their status)."""
        out: dict[int, list[int]] = {}
        ids = sorted(set(work_ids))
        with self.db.read() as session:
            for lo in range(0, len(ids), _IN_CHUNK):
                for work_id, member_id in session.execute(
                    select(Share.work_id, Share.member_id)
                    .where(Share.work_id.in_(ids[lo : lo + _IN_CHUNK]))
                    .order_by(Share.work_id, Share.member_id)
                ):
                    out.setdefault(work_id, []).append(member_id)
        return {w: tuple(m) for w, m in out.items()}

    def log_index(self, work_id: int) -> int:
        """The log entry that registered a work (withdrawn or not)."""
        return self.members.get_work(work_id).log_index

    def version(self) -> Version:
        with self.db.read() as session:
            size = self.log.size(session)
            root = self.log.root(session, size).hex() if size else ""
        return Version(tree_size=size, root=root)

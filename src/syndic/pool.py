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

    def log_index(self, work_id: int) -> int:
        """The log entry that registered a work (withdrawn or not)."""
        return self.members.get_work(work_id).log_index

    def version(self) -> Version:
        with self.db.read() as session:
            size = self.log.size(session)
            root = self.log.root(session, size).hex() if size else ""
        return Version(tree_size=size, root=root)

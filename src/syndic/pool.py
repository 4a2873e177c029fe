"""The pool as detection reads it: the active works and the log checkpoint (app layer).

``syndic.detection`` sits below ``members``, so it cannot read works itself; ``PoolCatalogue``
answers its ``Catalogue`` port from the members service and the log."""

from __future__ import annotations

from syndic.detection.index import Version
from syndic.detection.service import WorkRef
from syndic.members.service import MemberService
from syndic.provenance.log import TransparencyLog
from syndic.storage.db import Database


class PoolCatalogue:
    def __init__(self, members: MemberService, db: Database, log: TransparencyLog) -> None:
        self.members = members
        self.db = db
        self.log = log

    def active_works(self) -> list[WorkRef]:
        return [
            WorkRef(w.id, w.digest, w.log_index, tuple(h.member_id for h in w.holders))
            for w in self.members.iter_works()
            if w.status == "active"
        ]

    def log_index(self, work_id: int) -> int:
        """The log entry that registered a work (withdrawn or not)."""
        return self.members.get_work(work_id).log_index

    def version(self) -> Version:
        with self.db.read() as session:
            size = self.log.size(session)
            root = self.log.root(session, size).hex() if size else ""
        return Version(tree_size=size, root=root)

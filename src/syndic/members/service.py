"""Use cases for members and works: join, leave, register works with their rights holders."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from syndic.errors import Conflict, InvalidInput, NotFound
from syndic.members.events import (
    DisputeResolved,
    MandateChanged,
    MemberJoined,
    MemberLeft,
    MemberRejoined,
    VaultCollected,
    WorkDisputed,
    WorkRegistered,
    WorkWithdrawn,
)
from syndic.members.limits import Limits
from syndic.members.models import (
    PLAIN_TEXT,
    Member,
    MemberStatus,
    NearCopy,
    NearCopyState,
    Share,
    Work,
    WorkSignature,
    WorkStatus,
)
from syndic.members.shares import check_shares
from syndic.members.views import MemberView, WorkView, near_copy_view
from syndic.money import check_minor
from syndic.provenance.events import EventRecorder
from syndic.storage.db import Database
from syndic.terms.models import Usage
from syndic.validation import clean_name, clean_title
from syndic.vault import Digest, FileVault
from syndic.vault.store import Garbage

if TYPE_CHECKING:
    from syndic.members.copies import PoolSigs


@dataclass(frozen=True)
class NewWork:
    """A work to register: its content and the rights holders' shares in basis points."""

    content: bytes
    title: str
    kind: str
    collection: str
    holders: list[tuple[int, int]]
    meta: dict[str, Any]
    media_type: str = PLAIN_TEXT
    text: bytes | None = None  # the text extracted from it, when it is not itself text


@dataclass(frozen=True)
class Nearness:
    """What registration found: the work's signature (None: no text) and, when it is a near
    copy, the earlier work, the similarity and the state (own, or a dispute candidate)."""

    sig: bytes | None = None
    copy_of: int | None = None
    similarity: float = 0.0
    state: str = NearCopyState.OWN

    def payload(self) -> dict[str, Any] | None:
        if self.copy_of is None:
            return None
        return {
            "copy_of": self.copy_of,
            "similarity_bp": round(self.similarity * 10_000),
            "dispute_candidate": self.state == NearCopyState.CANDIDATE,
        }


def _check_usages(usages: Iterable[str]) -> list[str]:
    out = []
    for u in usages:
        try:
            out.append(Usage(u).value)
        except ValueError as exc:
            allowed = " ".join(x.value for x in Usage)
            raise InvalidInput(f"unknown usage {u!r}; use one of: {allowed}") from exc
    return sorted(set(out))


def _check_email(email: str | None) -> str | None:
    if email is None or not email.strip():
        return None
    clean = email.strip().lower()
    local, at, domain = clean.partition("@")
    if not at or not local or "." not in domain or len(clean) > 254 or " " in clean:
        raise InvalidInput(f"not an e-mail address: {email!r}")
    return clean


class MemberService:
    def __init__(
        self,
        db: Database,
        vault: FileVault,
        events: EventRecorder,
        *,
        limits: Limits | None = None,
    ) -> None:
        self.db = db
        self.vault = vault
        self.events = events
        self.limits = limits or Limits()
        self._pool: PoolSigs | None = None  # the pool's signatures, read on first use
        self._pool_lock = threading.Lock()
        self.on_change: list[Callable[[], object]] = []
        """Called after a change to the pool commits (detection keeps its index level)."""

    def changed(self) -> None:
        """Tell whoever follows the pool that works were registered, withdrawn or disputed."""
        for hook in self.on_change:
            hook()

    # --- members -------------------------------------------------------------------------
    def join(
        self,
        *,
        handle: str,
        name: str,
        payout_account: str,
        prohibited_usages: Iterable[str] = (),
        floor_price_minor: int = 0,
        allow_vlop: bool = True,
        email: str | None = None,
        actor: str = "steward",
    ) -> MemberView:
        with self.db.write() as session:
            m = self._join(
                session,
                handle=handle,
                name=name,
                payout_account=payout_account,
                prohibited_usages=prohibited_usages,
                floor_price_minor=floor_price_minor,
                allow_vlop=allow_vlop,
                actor=actor,
            )
            m.email = _check_email(email)
            return MemberView.of(m)

    def _join(
        self,
        session: Session,
        *,
        handle: str,
        name: str,
        payout_account: str,
        prohibited_usages: Iterable[str],
        floor_price_minor: int,
        allow_vlop: bool,
        actor: str,
    ) -> Member:
        handle = clean_name(handle, what="a member handle")
        name = clean_name(name, what="a member name", required=False)
        payout_account = clean_name(payout_account, what="a payout account")
        usages = _check_usages(prohibited_usages)
        check_minor(floor_price_minor)
        if session.scalar(select(Member.id).where(Member.handle == handle)) is not None:
            raise Conflict(f"a member with handle {handle!r} already exists")
        m = Member(
            handle=handle,
            name=name.strip() or handle,
            status=MemberStatus.ACTIVE,
            joined_at=self.events.clock.now(),
            left_at=None,
            prohibited_usages=usages,
            floor_price_minor=floor_price_minor,
            allow_vlop=allow_vlop,
            payout_account=payout_account.strip(),
        )
        session.add(m)
        session.flush()
        self.events.record(
            session, MemberJoined(member=m.id, handle=handle, mandate=m.mandate()), actor=actor
        )
        return m

    def leave(self, member_id: int, *, actor: str = "steward") -> MemberView:
        with self.db.write() as session:
            m = self._member(session, member_id)
            if m.status == MemberStatus.LEFT:
                raise Conflict(f"member {member_id} has already left")
            m.status = MemberStatus.LEFT
            m.left_at = self.events.clock.now()
            self.events.record(session, MemberLeft(member=m.id), actor=actor)
            return MemberView.of(m)

    def rejoin(self, member_id: int, *, actor: str = "steward") -> MemberView:
        """Bring back a member who left: same id, works and shares; future deals cover them
        again (agreements signed meanwhile are not reopened)."""
        with self.db.write() as session:
            m = self._member(session, member_id)
            if m.status != MemberStatus.LEFT:
                raise Conflict(f"member {member_id} has not left (status: {m.status})")
            m.status = MemberStatus.ACTIVE
            m.left_at = None
            self.events.record(session, MemberRejoined(member=m.id), actor=actor)
            return MemberView.of(m)

    def change_mandate(
        self,
        member_id: int,
        *,
        prohibited_usages: Iterable[str] | None = None,
        floor_price_minor: int | None = None,
        allow_vlop: bool | None = None,
        actor: str | None = None,
    ) -> MemberView:
        """Change what the coalition may agree to for this member's works (None: unchanged).
        Logged with the mandate before and after. It binds deals signed from now on: the
        coverage of a deal is computed when it is signed, and an agreement already signed
        keeps the works it froze."""
        usages = None if prohibited_usages is None else _check_usages(prohibited_usages)
        if floor_price_minor is not None:
            check_minor(floor_price_minor)
        with self.db.write() as session:
            m = self._member(session, member_id)
            if m.status != MemberStatus.ACTIVE:
                raise Conflict(f"member {member_id} has left; their mandate no longer applies")
            before = m.mandate()
            if usages is not None:
                m.prohibited_usages = usages
            if floor_price_minor is not None:
                m.floor_price_minor = floor_price_minor
            if allow_vlop is not None:
                m.allow_vlop = allow_vlop
            after = m.mandate()
            if after == before:
                raise InvalidInput("that is the mandate already in force: nothing to change")
            self.events.record(
                session,
                MandateChanged(member=m.id, before=before, after=after),
                actor=actor or f"member:{member_id}",
            )
            return MemberView.of(m)

    def by_email(self, email: str) -> MemberView | None:
        """The active member with this e-mail address (case-insensitive), if any."""
        wanted = email.strip().lower()
        if not wanted:
            return None
        with self.db.read() as session:
            m = session.scalar(
                select(Member).where(Member.email == wanted, Member.status == MemberStatus.ACTIVE)
            )
            return None if m is None else MemberView.of(m)

    def get(self, member_id: int) -> MemberView:
        with self.db.read() as session:
            return MemberView.of(self._member(session, member_id))

    def list_members(self, *, limit: int = 1000, offset: int = 0) -> list[MemberView]:
        with self.db.read() as session:
            rows = session.scalars(select(Member).order_by(Member.id).limit(limit).offset(offset))
            return [MemberView.of(m) for m in rows]

    @staticmethod
    def _member(session: Session, member_id: int) -> Member:
        m = session.get(Member, member_id)
        if m is None:
            raise NotFound(f"no member with id {member_id}")
        return m

    # --- works ---------------------------------------------------------------------------
    def register_work(
        self, work: NewWork, *, registered_by: int, actor: str = "steward"
    ) -> tuple[WorkView, bool]:
        """Register a work; the same content twice returns the existing work (created=False)."""
        with self.db.write() as session:
            w, created = self._register(session, work, registered_by=registered_by, actor=actor)
            view = WorkView.of(w), created
        if created:
            self.changed()
        return view

    def _register(
        self, session: Session, work: NewWork, *, registered_by: int, actor: str
    ) -> tuple[Work, bool]:
        clean_title(work.title, what="a work's title")
        clean_name(work.collection, what="a collection", required=False)
        if not work.content:
            raise InvalidInput("a work needs content")
        if (why := self.limits.work_size(len(work.content))) is not None:
            raise InvalidInput(why)
        holders = check_shares(work.holders)
        digest = Digest.of_bytes(work.content)
        existing = session.scalar(select(Work).where(Work.digest == str(digest)))
        if existing is not None:
            return existing, False
        for member_id, _ in holders:
            if self._member(session, member_id).status != MemberStatus.ACTIVE:
                raise Conflict(f"member {member_id} has left and cannot hold new works")
        if registered_by not in {m for m, _ in holders}:
            self._member(session, registered_by)
        near = self._near_copy(session, work, holders)
        stored = self.vault.put_bytes(work.content)
        assert stored == digest
        text_digest = None if work.text is None else str(self.vault.put_bytes(work.text))
        w = Work(
            digest=str(digest),
            title=work.title.strip(),
            kind=work.kind,
            collection=work.collection,
            meta=work.meta,
            size_bytes=len(work.content),
            registered_by=registered_by,
            registered_at=self.events.clock.now(),
            status=WorkStatus.ACTIVE,
            log_index=-1,
            media_type=work.media_type,
            text_digest=text_digest,
        )
        session.add(w)
        session.flush()
        for member_id, bp in holders:
            session.add(Share(work_id=w.id, member_id=member_id, share_bp=bp))
        if near.sig is not None:
            session.add(WorkSignature(work_id=w.id, sig=near.sig))
        if near.copy_of is not None:
            session.add(
                NearCopy(
                    work_id=w.id, copy_of=near.copy_of, similarity=near.similarity, state=near.state
                )
            )
        registered = WorkRegistered(
            work=w.id,
            digest=str(digest),
            title=w.title,
            collection=w.collection,
            holders=[{"member": m, "share_bp": bp} for m, bp in holders],
            media_type=None
            if work.media_type == PLAIN_TEXT and text_digest is None
            else work.media_type,
            text_digest=text_digest,
            near_copy=near.payload(),
        )
        w.log_index = self.events.record(session, registered, actor=actor)
        session.flush()
        session.refresh(w, ["near_copy"])
        return w, True

    def _near_copy(
        self, session: Session, work: NewWork, holders: list[tuple[int, int]]
    ) -> Nearness:
        """The new work's signature, and the earliest work of the pool it nearly copies. The
        pool's signatures are kept between registrations and only what is new is read; the
        log's head is held first, so a registration committing meanwhile cannot be missed."""
        from syndic.members import copies

        text = copies.text_of(work.content, work.media_type, work.text)
        if text is None:
            return Nearness()
        self.events.log.lock_head(session)
        with self._pool_lock:
            if self._pool is None:
                self._pool = copies.PoolSigs()
            pool = self._pool
            pool.refresh(session)
            sigs, found = pool.find(session, [text])
        sig = None if copies.empty_rows(sigs)[0] else copies.signature_bytes(sigs[0])
        if not found or found[0].copy_of is None:
            return Nearness(sig=sig)
        original = found[0].copy_of
        theirs = copies.holders_of(session, [original])[original]
        state = copies.state_for({m for m, _ in holders}, theirs)
        return Nearness(sig, original, found[0].similarity, state)

    def withdraw_work(self, work_id: int, *, reason: str = "", actor: str = "steward") -> WorkView:
        """Take a work out of the pool: it leaves future deals; agreements already signed keep
        it in their frozen scope until they end. The content stays in the vault, so the log's
        record of it can still be checked."""
        with self.db.write() as session:
            w = self._work(session, work_id)
            if w.status == WorkStatus.WITHDRAWN:
                raise Conflict(f"work {work_id} is already withdrawn")
            w.status = WorkStatus.WITHDRAWN
            self.events.record(
                session,
                WorkWithdrawn(work=work_id, digest=w.digest, reason=reason.strip()),
                actor=actor,
            )
            view = WorkView.of(w)
        self.changed()
        return view

    def dispute_work(self, work_id: int, *, reason: str, actor: str = "steward") -> WorkView:
        """Someone contests who holds this work: it is held out of new deals until resolved."""
        if not reason.strip():
            raise InvalidInput("say what is disputed")
        with self.db.write() as session:
            w = self._work(session, work_id)
            if w.status != WorkStatus.ACTIVE:
                raise Conflict(f"work {work_id} is {w.status}, not active")
            w.status = WorkStatus.DISPUTED
            near = session.scalar(select(NearCopy).where(NearCopy.work_id == work_id))
            if near is not None and near.state == NearCopyState.CANDIDATE:
                near.state = NearCopyState.DISPUTED
            self.events.record(
                session,
                WorkDisputed(work=work_id, digest=w.digest, reason=reason.strip()),
                actor=actor,
            )
            view = WorkView.of(w)
        self.changed()
        return view

    def resolve_dispute(
        self,
        work_id: int,
        *,
        holders: list[tuple[int, int]] | None = None,
        actor: str = "steward",
    ) -> WorkView:
        """End a dispute, with the rights holders' shares as settled (unchanged if None)."""
        with self.db.write() as session:
            w = self._work(session, work_id)
            if w.status != WorkStatus.DISPUTED:
                raise Conflict(f"work {work_id} is not disputed")
            if holders is not None:
                settled = check_shares(holders)
                for member_id, _ in settled:
                    if self._member(session, member_id).status != MemberStatus.ACTIVE:
                        raise Conflict(f"member {member_id} has left and cannot hold works")
                for sh in list(w.shares):
                    session.delete(sh)
                session.flush()
                session.add_all(Share(work_id=w.id, member_id=m, share_bp=bp) for m, bp in settled)
                session.flush()
                session.refresh(w)
            w.status = WorkStatus.ACTIVE
            settled_holders = [
                {"member": sh.member_id, "share_bp": sh.share_bp}
                for sh in sorted(w.shares, key=lambda x: x.member_id)
            ]
            self.events.record(
                session, DisputeResolved(work=work_id, holders=settled_holders), actor=actor
            )
            view = WorkView.of(w)
        self.changed()
        return view

    @staticmethod
    def _work(session: Session, work_id: int) -> Work:
        w = session.get(Work, work_id)
        if w is None:
            raise NotFound(f"no work with id {work_id}")
        return w

    def get_work(self, work_id: int) -> WorkView:
        with self.db.read() as session:
            w = session.get(Work, work_id)
            if w is None:
                raise NotFound(f"no work with id {work_id}")
            return WorkView.of(w)

    def list_works(
        self, *, member_id: int | None = None, limit: int = 100, offset: int = 0
    ) -> list[WorkView]:
        with self.db.read() as session:
            q = select(Work).order_by(Work.id)
            if member_id is not None:
                self._member(session, member_id)
                q = q.join(Share).where(Share.member_id == member_id)
            return [WorkView.of(w) for w in session.scalars(q.limit(limit).offset(offset))]

    def near_copies(
        self,
        *,
        member_id: int | None = None,
        candidates_only: bool = False,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Works found at registration to be near copies of earlier works, newest first.
        ``member_id``: those where the member holds the copy or the original (both members
        see a dispute candidate); ``candidates_only``: the dispute candidates no dispute has
        been opened on yet (what the steward has to look at)."""
        original = aliased(Work)
        q = (
            select(NearCopy, Work.title, Work.status, original.title)
            .join(Work, Work.id == NearCopy.work_id)
            .join(original, original.id == NearCopy.copy_of)
            .order_by(NearCopy.work_id.desc())
        )
        if candidates_only:
            q = q.where(NearCopy.state == NearCopyState.CANDIDATE, Work.status == WorkStatus.ACTIVE)
        with self.db.read() as session:
            if member_id is not None:
                self._member(session, member_id)
                held = select(Share.work_id).where(Share.member_id == member_id)
                q = q.where(NearCopy.work_id.in_(held) | NearCopy.copy_of.in_(held))
            rows = session.execute(q.limit(limit).offset(offset)).all()
            ids = {n.work_id for n, *_ in rows} | {n.copy_of for n, *_ in rows}
            holders: dict[int, list[int]] = {i: [] for i in ids}
            for w, m in session.execute(
                select(Share.work_id, Share.member_id)
                .where(Share.work_id.in_(sorted(ids)))
                .order_by(Share.member_id)
            ):
                holders[w].append(m)
        return [
            {
                "work": n.work_id,
                "title": title,
                "status": status,
                **near_copy_view(n),
                "original_title": original_title,
                "holders": holders[n.work_id],
                "original_holders": holders[n.copy_of],
            }
            for n, title, status, original_title in rows
        ]

    def iter_works(self, *, member_id: int | None = None, page: int = 1000) -> Iterator[WorkView]:
        """Every work (or one member's), in id order, read a page at a time."""
        offset = 0
        while batch := self.list_works(member_id=member_id, limit=page, offset=offset):
            yield from batch
            offset += len(batch)

    def work_counts(self) -> dict[int, int]:
        """Per member: how many works they hold a share in."""
        q = select(Share.member_id, func.count(Share.work_id)).group_by(Share.member_id)
        with self.db.read() as session:
            return {m: int(n) for m, n in session.execute(q)}

    def collect_garbage(self, *, older_than: float = 600.0, actor: str = "steward") -> Garbage:
        """Remove what interrupted writes left in the vault (blobs no work names, temporary
        files, unindexed packs) older than ``older_than`` seconds, and log it. It holds the
        log's head, as every writer of works does while it writes blobs, so no import's
        uncommitted blobs can be taken for orphans."""
        with self.db.write() as session:
            self.events.log.lock_head(session)
            referenced = set(self._digests(session))
            garbage = self.vault.garbage(referenced, older_than=older_than)
            if not garbage.orphans and not garbage.stray:
                return garbage
            freed = self.vault.remove(garbage)
            listing = "".join(f"{d}\n" for d in sorted(garbage.orphans)).encode("ascii")
            self.events.record(
                session,
                VaultCollected(
                    orphans=len(garbage.orphans),
                    stray=len(garbage.stray),
                    bytes_freed=freed,
                    removed_digest=str(Digest.of_bytes(listing)),
                ),
                actor=actor,
            )
            return garbage

    def digests(self) -> list[Digest]:
        """Every blob a work names, in id order (its content, then its extracted text): what
        the vault must hold."""
        with self.db.read() as session:
            return self._digests(session)

    @staticmethod
    def _digests(session: Session) -> list[Digest]:
        out: list[Digest] = []
        for digest, text in session.execute(
            select(Work.digest, Work.text_digest).order_by(Work.id)
        ):
            out.append(Digest.parse(digest))
            if text is not None:
                out.append(Digest.parse(text))
        return out

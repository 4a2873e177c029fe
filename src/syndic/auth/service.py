"""API keys: random, shown once, stored only as SHA-256 hashes (high-entropy secrets need no
slow hash), each bound to one role and, for members and licensees, one subject."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from syndic.auth.events import ApiKeyCreated, ApiKeyRevoked
from syndic.auth.models import ApiKey, Principal, Role
from syndic.errors import AuthError, Conflict, InvalidInput, NotFound
from syndic.provenance.unit import Transactions
from syndic.validation import clean_name

KEY_PREFIX = "syk_"

SubjectCheck = Callable[[int], object]
"""Raises ``NotFound`` when there is no member (or licensee) with this id."""


@dataclass(frozen=True)
class KeyView:
    """What may be shown about a key: never the key, nor its hash."""

    id: int
    role: str
    subject_id: int | None
    label: str
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: ApiKey) -> KeyView:
        return cls(row.id, row.role, row.subject_id, row.label, row.created_at, row.revoked_at)


def _owns(caller: Principal, row: ApiKey) -> bool:
    if caller.role is Role.STEWARD:
        return True
    return row.role == caller.role.value and row.subject_id == caller.subject_id


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class KeyService:
    """Makes and checks API keys. ``subjects`` says, per role, how to check that the member
    or licensee a key speaks for exists (the parts that own them pass it in)."""

    def __init__(self, txs: Transactions, *, subjects: Mapping[Role, SubjectCheck]) -> None:
        self.txs = txs
        self.subjects = subjects

    def create(
        self, *, role: Role, subject_id: int | None, label: str = "", actor: str = "steward"
    ) -> str:
        """Make a key; returns its plaintext, which is never stored or shown again."""
        if (role is Role.STEWARD) != (subject_id is None):
            raise InvalidInput("member and licensee keys need a subject id; steward keys take none")
        label = clean_name(label, what="a key label", required=False)
        if subject_id is not None:
            self.subjects[role](subject_id)
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        with self.txs.write() as tx:
            row = ApiKey(
                key_hash=_hash(key),
                role=role.value,
                subject_id=subject_id,
                label=label,
                created_at=tx.now(),
                revoked_at=None,
            )
            tx.session.add(row)
            tx.session.flush()
            tx.record(ApiKeyCreated(key=row.id, role=role.value, subject=subject_id), actor=actor)
        return key

    def list(
        self, *, role: Role | None = None, subject_id: int | None = None, revoked: bool = False
    ) -> list[KeyView]:
        """Keys, oldest first: those in force, or every key with ``revoked``."""
        q = select(ApiKey).order_by(ApiKey.id)
        if role is not None:
            q = q.where(ApiKey.role == role.value)
        if subject_id is not None:
            q = q.where(ApiKey.subject_id == subject_id)
        if not revoked:
            q = q.where(ApiKey.revoked_at.is_(None))
        with self.txs.read() as session:
            return [KeyView.of(r) for r in session.scalars(q)]

    def revoke(
        self,
        key_id: int,
        *,
        reason: str = "",
        by: Principal | None = None,
        actor: str = "steward",
    ) -> KeyView:
        """Stop a key working, at once and for good (logged). ``by``, when given, is the
        caller: a steward may revoke any key, anyone else only keys of their own (another's
        key is answered as if it did not exist)."""
        reason = clean_name(reason, what="a reason", required=False)
        with self.txs.write() as tx:
            row = tx.session.get(ApiKey, key_id)
            if row is None or (by is not None and not _owns(by, row)):
                raise NotFound(f"no API key with id {key_id}")
            if row.revoked_at is not None:
                raise Conflict(f"API key {key_id} was already revoked")
            row.revoked_at = tx.now()
            tx.record(ApiKeyRevoked(key=key_id, reason=reason), actor=actor)
            tx.session.flush()
            return KeyView.of(row)

    def authenticate(self, key: str) -> Principal:
        with self.txs.read() as session:
            row = session.scalar(select(ApiKey).where(ApiKey.key_hash == _hash(key)))
        if row is None or row.revoked_at is not None:
            raise AuthError("API key is not valid")
        return Principal(Role(row.role), row.subject_id, row.id)


__all__ = ["KEY_PREFIX", "ApiKey", "KeyService", "Principal", "Role"]

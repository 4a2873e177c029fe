"""API keys: random, shown once, stored only as SHA-256 hashes (high-entropy secrets need no
slow hash), each bound to one role and, for members and licensees, one subject."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping

from sqlalchemy import select

from syndic.auth.events import ApiKeyCreated
from syndic.auth.models import ApiKey, Principal, Role
from syndic.errors import AuthError, InvalidInput
from syndic.provenance.unit import Transactions

KEY_PREFIX = "syk_"

SubjectCheck = Callable[[int], object]
"""Raises ``NotFound`` when there is no member (or licensee) with this id."""


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

    def authenticate(self, key: str) -> Principal:
        with self.txs.read() as session:
            row = session.scalar(select(ApiKey).where(ApiKey.key_hash == _hash(key)))
        if row is None or row.revoked_at is not None:
            raise AuthError("API key is not valid")
        return Principal(Role(row.role), row.subject_id, row.id)


__all__ = ["KEY_PREFIX", "ApiKey", "KeyService", "Principal", "Role"]

"""Passwordless sign-in: one-time links that expire, and the browser sessions they start.

A link's token and a session's token are random (256 bits) and only their SHA-256 is stored,
like API keys. Redeeming a link marks it used and starts a session in one transaction, so a
link works once; a session ends on the server when its holder signs out (or when it expires),
after which its cookie is worth nothing. Each of these is logged (without the tokens).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Mapping
from datetime import timedelta

from sqlalchemy import select

from syndic.auth.events import SessionEnded, SessionStarted, SignInLinkIssued
from syndic.auth.models import Principal, Role, SignInLink, WebSession
from syndic.clock import iso
from syndic.errors import AuthError, InvalidInput, LinkInvalid
from syndic.provenance.unit import Transactions

LINK_PREFIX = "syl_"
SESSION_PREFIX = "sys_"
DEFAULT_LINK_TTL = timedelta(minutes=15)
MAX_LINK_TTL = timedelta(days=7)
SESSION_TTL = timedelta(hours=12)

SubjectCheck = Callable[[int], object]
"""Raises ``NotFound`` when there is no member (or licensee) with this id."""

_TTL = re.compile(r"\s*(\d+)\s*([smhd])\s*")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_ttl(text: str) -> timedelta:
    """``15m``, ``2h``, ``1d``, ``90s`` -> a duration (at most a week)."""
    m = _TTL.fullmatch(text)
    if m is None:
        raise InvalidInput(f"a lifetime is a number and s, m, h or d (like 15m), not {text!r}")
    ttl = timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})
    if ttl <= timedelta(0) or ttl > MAX_LINK_TTL:
        raise InvalidInput("a sign-in link lives between 1 second and 7 days")
    return ttl


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class SignIn:
    """Issues and redeems sign-in links; finds and ends the sessions they start."""

    def __init__(
        self,
        txs: Transactions,
        *,
        subjects: Mapping[Role, SubjectCheck],
        session_ttl: timedelta = SESSION_TTL,
    ) -> None:
        self.txs = txs
        self.subjects = subjects
        self.session_ttl = session_ttl

    def issue_link(
        self,
        *,
        role: Role,
        subject_id: int | None,
        ttl: timedelta = DEFAULT_LINK_TTL,
        actor: str = "steward",
    ) -> str:
        """A new one-time link token for ``role`` (and the member or licensee it speaks for);
        returned once, stored only as its hash."""
        if (role is Role.STEWARD) != (subject_id is None):
            raise InvalidInput("member and licensee links need an id; the steward's takes none")
        if ttl <= timedelta(0) or ttl > MAX_LINK_TTL:
            raise InvalidInput("a sign-in link lives between 1 second and 7 days")
        if subject_id is not None:
            self.subjects[role](subject_id)
        token = LINK_PREFIX + secrets.token_urlsafe(32)
        with self.txs.write() as tx:
            now = tx.now()
            row = SignInLink(
                token_hash=_hash(token),
                role=role.value,
                subject_id=subject_id,
                created_at=now,
                expires_at=now + ttl,
                used_at=None,
            )
            tx.session.add(row)
            tx.session.flush()
            event = SignInLinkIssued(
                link=row.id, role=role.value, subject=subject_id, expires_at=iso(row.expires_at)
            )
            tx.record(event, actor=actor)
        return token

    def redeem(self, token: str) -> tuple[str, Principal]:
        """Use a link: it is spent, and a new session starts. Returns the session's token
        (shown once, to be put in a cookie) and who it acts as. ``LinkInvalid`` when the link
        is unknown, expired or already used."""
        with self.txs.write() as tx:
            link = tx.session.scalar(
                select(SignInLink)
                .where(SignInLink.token_hash == _hash(token.strip()))
                .with_for_update()
            )
            now = tx.now()
            if link is None:
                raise LinkInvalid("this sign-in link is not valid")
            if link.used_at is not None:
                raise LinkInvalid("this sign-in link has already been used")
            if now >= link.expires_at:
                raise LinkInvalid("this sign-in link has expired")
            link.used_at = now
            session_token = SESSION_PREFIX + secrets.token_urlsafe(32)
            row = WebSession(
                token_hash=_hash(session_token),
                role=link.role,
                subject_id=link.subject_id,
                link_id=link.id,
                created_at=now,
                expires_at=now + self.session_ttl,
                ended_at=None,
            )
            tx.session.add(row)
            tx.session.flush()
            tx.record(
                SessionStarted(
                    session=row.id, link=link.id, role=link.role, subject=link.subject_id
                ),
                actor=_actor(link.role, link.subject_id),
            )
            return session_token, _principal(row)

    def authenticate(self, session_token: str) -> Principal:
        """Who a session acts as; ``AuthError`` when it is unknown, ended or expired."""
        with self.txs.read() as session:
            row = session.scalar(
                select(WebSession).where(WebSession.token_hash == _hash(session_token))
            )
            if row is None or row.ended_at is not None:
                raise AuthError("you are signed out; sign in again")
            if self.txs.clock.now() >= row.expires_at:
                raise AuthError("your session has expired; sign in again")
            return _principal(row)

    def end(self, session_token: str) -> None:
        """Sign out: the session ends on the server (a no-op for an unknown or ended one)."""
        with self.txs.write() as tx:
            row = tx.session.scalar(
                select(WebSession)
                .where(WebSession.token_hash == _hash(session_token))
                .with_for_update()
            )
            if row is None or row.ended_at is not None:
                return
            row.ended_at = tx.now()
            tx.record(SessionEnded(session=row.id), actor=_actor(row.role, row.subject_id))


def _principal(row: WebSession) -> Principal:
    return Principal(Role(row.role), row.subject_id, key_id=None, session_id=row.id)


def _actor(role: str, subject_id: int | None) -> str:
    return role if subject_id is None else f"{role}:{subject_id}"

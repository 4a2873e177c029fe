"""Proof of work for unknown clients: find a nonce so that SHA-256 of ``challenge:nonce``
starts with ``difficulty`` hex zeros.

A challenge is stateless and signed (HMAC-SHA256 with the gate's secret): random id,
expiry, difficulty and the client it was issued to. Redeeming it once is recorded (the
caller stores the id with a unique key), so it cannot be used twice. The reward is a pass
cookie, also signed, that expires and is bound to the same client (address + user agent).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass

from syndic.errors import ChallengeError

COOKIE = "syndic_pass"
REDEEM_PATH = "/.well-known/syndic/pow"


def client_id(address: str, user_agent: str) -> str:
    """A short, non-reversible name for the client a challenge or pass is bound to."""
    return hashlib.sha256(f"{address}|{user_agent}".encode()).hexdigest()[:16]


def _mac(secret: bytes, text: str) -> str:
    return hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()[:32]


def solves(challenge: str, nonce: str, difficulty: int) -> bool:
    digest = hashlib.sha256(f"{challenge}:{nonce}".encode()).hexdigest()
    return digest.startswith("0" * difficulty)


def solve(challenge: str, difficulty: int, *, limit: int = 1 << 32) -> str:
    """Find a nonce (for crawlers we run, tests and the benchmark)."""
    for n in range(limit):
        if solves(challenge, str(n), difficulty):
            return str(n)
    raise ChallengeError("no nonce found within the limit")


@dataclass(frozen=True)
class Challenge:
    id: str
    expires: int
    difficulty: int
    client: str
    text: str


class PowIssuer:
    def __init__(self, secret: bytes, *, random_bytes: Callable[[int], bytes] = os.urandom) -> None:
        if len(secret) < 32:
            raise ValueError("the gate secret must be at least 32 bytes")
        self.secret = secret
        self.random_bytes = random_bytes

    def issue(self, *, client: str, difficulty: int, now: int, ttl_s: int) -> Challenge:
        cid = self.random_bytes(16).hex()
        body = f"{cid}.{now + ttl_s}.{difficulty}.{client}"
        return Challenge(cid, now + ttl_s, difficulty, client, f"{body}.{_mac(self.secret, body)}")

    def check(self, text: str, nonce: str, *, client: str, now: int) -> Challenge:
        """The challenge a solution answers, if it is genuine, fresh, this client's and solved.

        Whether it was already used is the caller's check (it needs the database).
        """
        parts = text.split(".")
        if len(parts) != 5 or len(nonce) > 64:
            raise ChallengeError("malformed challenge")
        cid, exp, diff, bound, mac = parts
        body = ".".join(parts[:4])
        if not hmac.compare_digest(mac, _mac(self.secret, body)):
            raise ChallengeError("challenge was not issued by this gate")
        if not (exp.isdigit() and diff.isdigit()):
            raise ChallengeError("malformed challenge")
        if now >= int(exp):
            raise ChallengeError("challenge has expired")
        if not hmac.compare_digest(bound, client):
            raise ChallengeError("challenge was issued to another client")
        if not solves(text, nonce, int(diff)):
            raise ChallengeError("nonce does not solve the challenge")
        return Challenge(cid, int(exp), int(diff), bound, text)

    def pass_cookie(self, *, client: str, now: int, ttl_s: int) -> str:
        body = f"{now + ttl_s}.{client}"
        return f"{body}.{_mac(self.secret, 'pass:' + body)}"

    def pass_valid(self, cookie: str, *, client: str, now: int) -> bool:
        parts = cookie.split(".")
        if len(parts) != 3 or not parts[0].isdigit():
            return False
        body = f"{parts[0]}.{parts[1]}"
        return (
            hmac.compare_digest(parts[2], _mac(self.secret, "pass:" + body))
            and hmac.compare_digest(parts[1], client)
            and now < int(parts[0])
        )

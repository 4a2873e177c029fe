"""Licensed access: checking ``Authorization: License <token>`` at the gate, and issuing
tokens at an OAuth2-style endpoint in the spirit of RSL's Open License Protocol.

A token is issued only to a licensee, only under one of its active agreements, and only if
that agreement permits the usage asked for; it is scoped to that agreement. The gate checks
it through its port (``DealService.licence_grant``: forged, expired, revoked or a lapsed
agreement are refused), then that the agreement permits the usage and covers the member.
Valid grants are cached for a few seconds, so revocation takes effect within that time.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from syndic.auth.service import KeyService, Principal, Role
from syndic.deals.models import AgreementStatus
from syndic.deals.service import DealService
from syndic.deals.views import Grant
from syndic.errors import AuthError, Forbidden, InvalidGrant, InvalidInput, NotFound
from syndic.terms import rsl
from syndic.terms.models import Usage

SCHEME = "license"


def bearer_of(authorization: str | None) -> str | None:
    """The token in ``Authorization: License <token>``, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != SCHEME or not token.strip():
        return None
    return token.strip()


@dataclass(frozen=True)
class LicenceCheck:
    grant: Grant | None
    error: AuthError | Forbidden | None


class LicenceChecker:
    """Checks tokens for one site's usage and member through the port, caching valid grants
    for ``cache_s`` seconds (so revocation takes effect within that time)."""

    def __init__(
        self,
        check: Callable[[str], LicenceCheck],
        *,
        cache_s: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._check = check
        self.cache_s = cache_s
        self.monotonic = monotonic
        self._cache: dict[str, tuple[float, LicenceCheck]] = {}

    def check(self, token: str) -> LicenceCheck:
        """Runs in a worker thread (the port reads the database)."""
        key = hashlib.sha256(token.encode()).hexdigest()
        hit = self._cache.get(key)
        if hit is not None and hit[0] > self.monotonic():
            return hit[1]
        result = self._check(token)
        if len(self._cache) > 10_000:
            self._cache.clear()
        # only successes are cached: a refused token is re-checked (and never fills the cache)
        if result.grant is not None and self.cache_s > 0:
            self._cache[key] = (self.monotonic() + self.cache_s, result)
        return result


# --- the token endpoint ----------------------------------------------------------------------
@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    token_type: str
    expires_in: int
    agreement_id: int
    scope: str


def issue_licence_token(
    deals: DealService,
    keys: KeyService,
    *,
    client_secret: str,
    client_id: str | None,
    grant_type: str,
    license_xml: str | None = None,
    usage: str | None = None,
    agreement_id: int | None = None,
) -> IssuedToken:
    """OLP-style ``POST /token``: a licensee's API key is its client secret, and its id (when
    the client sends one, as HTTP Basic always does) must be the licensee's id."""
    who = _licensee(keys, client_secret)  # who asks first: a stranger learns nothing more
    if client_id is not None and client_id != str(who.subject_id):
        raise AuthError("invalid client credentials")
    if grant_type not in ("client_credentials", "rsl"):
        raise InvalidInput(f"unsupported grant_type {grant_type!r} (client_credentials or rsl)")
    wanted = _wanted_usages(usage, license_xml)
    candidates = [
        a
        for a in deals.list_agreements(licensee_id=who.subject_id)
        if a.status == AgreementStatus.ACTIVE and (agreement_id is None or a.id == agreement_id)
    ]
    for a in candidates:
        terms = deals.agreement_terms(a.id)
        if all(terms.allows(u) for u in wanted):
            token = deals.issue_token(a.id, actor=who.actor)
            grant = deals.grant(token)
            expires_in = max(0, int((grant.expires_at - deals.txs.clock.now()).total_seconds()))
            return IssuedToken(token, "License", expires_in, a.id, " ".join(sorted(grant.usages)))
    if agreement_id is not None and not candidates:
        raise NotFound(f"no active agreement {agreement_id} for this licensee")
    raise InvalidGrant(
        "no active agreement of this licensee permits "
        + (", ".join(sorted(u.value for u in wanted)) or "any usage")
    )


def _licensee(keys: KeyService, client_secret: str) -> Principal:
    try:
        who = keys.authenticate(client_secret)
    except AuthError as exc:
        raise AuthError("invalid client credentials") from exc
    if who.role is not Role.LICENSEE or who.subject_id is None:
        raise AuthError("only a licensee's key can obtain a licence token")
    return who


def _wanted_usages(usage: str | None, license_xml: str | None) -> set[Usage]:
    """The usages a token request asks for: ``usage``, and those an RSL licence permits."""
    wanted: set[Usage] = set()
    if usage:
        try:
            wanted.add(Usage(usage))
        except ValueError as exc:
            raise InvalidInput(f"unknown usage {usage!r}") from exc
    if license_xml:
        doc = (
            rsl.parse_rsl(license_xml.encode("utf-8"))
            if license_xml.lstrip().startswith("<rsl")
            else _license_element(license_xml)
        )
        for content in doc.contents:
            for lic in content.licenses:
                wanted |= set(lic.permits.usage)
    return wanted


def _license_element(xml: str) -> rsl.RslDocument:
    """A bare ``<license>`` element (what OLP sends) wrapped so the RSL reader can read it."""
    if "<!" in xml:
        raise rsl.RslError("RSL documents must not contain a DTD")
    return rsl.parse_rsl(f'<rsl xmlns="{rsl.NS}"><content url="/">{xml}</content></rsl>')

"""Assemble the gate from a ``Syndic``: its services, and the reverse proxy around a site.

The CLI's ``syndic gate``, the demo and an embedding application all build it here."""

from __future__ import annotations

from syndic.app import Syndic
from syndic.errors import NotFound
from syndic.gate.decide import Gate, GateServices
from syndic.gate.middleware import ASGIApp, GateMiddleware
from syndic.gate.policy import Policy
from syndic.gate.proxy import Upstream
from syndic.terms.crawlers import load_crawlers
from syndic.terms.formats import RSL_PATH, Site, response_headers


def gate_services(s: Syndic) -> GateServices:
    """Build what the gate needs from a ``Syndic``: its secret comes from the coalition key."""
    secret = s.signer.derive_secret(b"syndic gate v1")
    base = s.settings.public_url.rstrip("/")
    headers: dict[str, str] = {}
    try:
        version, terms = s.terms.current()
        headers = response_headers(terms, Site(base_url=base, coalition=s.name, version=version))
    except NotFound:
        pass  # no terms yet: nothing to advertise, the policy still applies
    return GateServices(
        db=s.db,
        deals=s.deals,
        ledger=s.ledger,
        log=s.log,
        clock=s.clock,
        secret=secret,
        crawlers=load_crawlers(s.settings.data_dir),
        licence_url=f"{base}/{RSL_PATH}",
        terms_headers=headers,
    )


def gate_app(s: Syndic, policy: Policy, upstream: str) -> tuple[ASGIApp, Gate]:
    """The gate in front of ``upstream`` (a base URL), and the gate itself."""
    gate = Gate(gate_services(s), policy)
    upstream_app = Upstream(
        upstream, timeout_s=policy.upstream_timeout_s, deadline_s=policy.upstream_deadline_s
    )
    return GateMiddleware(upstream_app, gate), gate

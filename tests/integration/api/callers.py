"""Every kind of caller, a coalition where each owns something, and docs/api.md's route table:
what the role table test, the bounds test and the schemathesis run share."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from fastapi.testclient import TestClient

from syndic.api.app import api_routes, create_app
from syndic.api.deps import GuardedRoute
from syndic.auth.models import Role
from tests.coalition import World, approved, world
from tests.conftest import MakeSyndic

API_MD = Path(__file__).resolve().parents[3] / "docs" / "api.md"
CALLERS = (
    "no key",
    "garbage key",
    "member",
    "another member",
    "licensee",
    "another licensee",
    "steward",
)
_ROW = re.compile(r"^\| (GET|POST|PUT|DELETE) \| `([^`]+)` \| ([^|]+) \|", re.MULTILINE)


def documented() -> dict[tuple[str, str], str]:
    """docs/api.md's table: (method, path) -> its "who" column."""
    return {(m, p): who.strip() for m, p, who in _ROW.findall(API_MD.read_text())}


def operations() -> list[tuple[str, GuardedRoute]]:
    """Every (method, route) the API serves (HEAD aside)."""
    return [(m, r) for r in api_routes() for m in sorted(r.methods or ()) if m != "HEAD"]


@dataclass
class Coalition:
    """Two members (each holding one work), two licensees, a deal and an agreement of the
    first licensee's, and a key for every caller."""

    w: World
    client: TestClient
    ids: dict[str, int]
    keys: dict[str, str | None] = field(default_factory=dict)

    def headers(self, caller: str) -> dict[str, str]:
        key = self.keys[caller]
        return {} if key is None else {"Authorization": f"Bearer {key}"}

    def path(self, route: GuardedRoute, **override: int) -> str:
        values: dict[str, object] = {**self.ids, "rest": "0/000", **override}
        return route.path_format.format(**values)


def coalition(make_syndic: MakeSyndic) -> Coalition:
    w = world(make_syndic, n=2)
    s = w.s
    other = s.deals.register_licensee(name="Other", contact="o@example.org")
    deal = approved(w)
    agreement = s.deals.sign(deal).id
    keys: dict[str, str | None] = {
        "no key": None,
        "garbage key": "syk_not-a-key",
        "member": s.keys.create(role=Role.MEMBER, subject_id=w.members[0]),
        "another member": s.keys.create(role=Role.MEMBER, subject_id=w.members[1]),
        "licensee": s.keys.create(role=Role.LICENSEE, subject_id=w.lab),
        "another licensee": s.keys.create(role=Role.LICENSEE, subject_id=other.id),
        "steward": s.keys.create(role=Role.STEWARD, subject_id=None),
    }
    ids = {
        "member_id": w.members[0],
        "work_id": w.works[0],
        "deal_id": deal,
        "agreement_id": agreement,
        "proposal_id": 1,
        "run_id": 1,
        "key_id": 999_999,  # no such key: revoking one of the callers' keys would end the table
    }
    return Coalition(w, TestClient(create_app(s)), ids, keys)


OWNED = {"member": ("member_id", "work_id"), "licensee": ("deal_id", "agreement_id")}
"""The path parameters naming what a member or a licensee owns in ``Coalition``."""


def expected(who: str, caller: str, path: str) -> int | None:
    """What docs/api.md says ``caller`` gets: 401, 403, or None (let through: the route
    answers, whatever it answers)."""
    if who == "anyone":
        return None
    if who == "anyone (key optional)":
        return 401 if caller == "garbage key" else None
    if who == "access token":
        return 401  # an API key is not a licence token
    if caller in ("no key", "garbage key"):
        return 401
    role = caller.removeprefix("another ")
    if who == "licensee (client credentials)":
        return None if role == "licensee" else 401
    words = [w.strip() for w in who.split(",")]
    if role in words:
        return None
    if f"{role} (own)" in words:
        names = [p for p in OWNED[role] if "{" + p + "}" in path]
        if not names:
            return None  # a list: the route shows a caller its own
        return 403 if caller.startswith("another ") else None
    return 403


def body_for(path: str) -> dict[str, object]:
    """A body each route would accept, so that a request gets past validation."""
    examples: dict[str, dict[str, object]] = {
        "/counter": {"terms": {"permits": ["ai-train"], "amount_minor": 100}},
        "/votes": {"choice": "yes"},
        "/ballots": {"choice": "yes"},
        "/signature": {"signature": "AAAA"},
        "/terminate": {"reason": "test"},
        "/dispute": {"reason": "test"},
        "/revenue": {"amount_minor": 100},
    }
    for tail, body in examples.items():
        if path.endswith(tail):
            return body
    return {}

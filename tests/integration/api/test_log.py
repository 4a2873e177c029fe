"""The read-only tile API: a tlog client mirrors the log over HTTP and verifies it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from syndic.api.app import create_app
from syndic.app import Syndic
from syndic.provenance.checkpoint import open_checkpoint
from syndic.provenance.merkle import inclusion_proof, leaf_hash, root_at
from syndic.provenance.note import parse_verifier_key
from syndic.provenance.tiles import TileHashes, decode_bundle
from tests.conftest import MakeSyndic
from tests.unit.provenance.helpers import add_works

AT = datetime(2026, 1, 1, tzinfo=UTC)


class AsgiClient:
    """A synchronous face on an in-process ASGI client (real HTTP semantics, no socket)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def get(self, path: str) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://syndic") as c:
                return await c.get(path)

        return asyncio.run(go())


def _app(syndic: Syndic) -> FastAPI:
    return create_app(syndic)


@pytest.fixture
def client(make_syndic: MakeSyndic) -> AsgiClient:
    syndic = make_syndic()
    add_works(syndic, 3)
    with (
        syndic.db.write() as ses
    ):  # 302 entries: a full level-0 tile, a partial one, a level-1 tile
        syndic.log.append_many(ses, [(b'{"n":%d}' % i, "filler", AT) for i in range(297)])
    return AsgiClient(_app(syndic))


def test_no_checkpoint_yet_is_404(make_syndic: MakeSyndic) -> None:
    c = AsgiClient(_app(make_syndic()))
    r = c.get("/v1/log/checkpoint")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


def test_client_mirrors_and_verifies_over_http(client: AsgiClient) -> None:
    syndic: Syndic = client.app.state.syndic
    cp_row = syndic.provenance.checkpoint()
    r = client.get("/v1/log/checkpoint")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    vkey = parse_verifier_key(client.get("/v1/log/verifier-key").text)
    cp = open_checkpoint(r.text, vkey)
    assert (cp.size, cp.root) == (cp_row.size, cp_row.root) == (302, cp_row.root)

    def fetch(rel: str) -> bytes:
        resp = client.get(f"/v1/log/{rel}")
        assert resp.status_code == 200, rel
        assert resp.headers["content-type"] == "application/octet-stream"
        assert "immutable" in resp.headers["cache-control"]
        return resp.content

    mirror = TileHashes(cp.size, fetch)
    assert root_at(cp.size, mirror.subtree) == cp.root
    with syndic.db.read() as ses:
        assert inclusion_proof(123, cp.size, mirror.subtree) == syndic.log.inclusion_proof(ses, 123)
    bundle = decode_bundle(fetch("tile/entries/001.p/46"))
    assert [leaf_hash(e) for e in bundle] == [mirror.subtree(0, 256 + i) for i in range(46)]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("tile/0/001.p/47", 404),  # wider than the checkpointed tree
        ("tile/0/002", 404),
        ("tile/1/000", 404),
        ("tile/0/01", 422),
        ("tile/0/000.p/256", 422),
        ("tile/entries/x000/001", 422),
    ],
)
def test_tiles_outside_the_tree_or_malformed(client: AsgiClient, path: str, status: int) -> None:
    client.app.state.syndic.provenance.checkpoint()
    r = client.get(f"/v1/log/{path}")
    assert r.status_code == status
    assert "error" in r.json()


def test_older_partial_tiles_stay_served(client: AsgiClient) -> None:
    client.app.state.syndic.provenance.checkpoint()
    r = client.get("/v1/log/tile/0/001.p/10")  # a partial tile of an earlier, smaller tree
    assert r.status_code == 200
    assert len(r.content) == 10 * 32


def test_a_holder_fetches_its_work_receipt(make_syndic: MakeSyndic) -> None:
    from syndic.auth.service import Role
    from syndic.provenance.receipt import verify_receipt

    syndic = make_syndic()
    add_works(syndic, 2)
    add_works(syndic, 1, start=10)  # a second member's work (id 3)
    holder = syndic.keys.create(role=Role.MEMBER, subject_id=1)
    other = syndic.keys.create(role=Role.MEMBER, subject_id=2)
    app = create_app(syndic)

    async def get(path: str, key: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://syndic") as c:
            return await c.get(path, headers={"Authorization": f"Bearer {key}"})

    r = asyncio.run(get("/v1/works/1/receipt", holder))
    assert r.status_code == 200
    ok = verify_receipt(r.content, public_key=syndic.provenance.public_key)
    assert ok.work == syndic.members.get_work(1).digest
    denied = asyncio.run(get("/v1/works/3/receipt", holder))
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "forbidden"
    assert asyncio.run(get("/v1/works/3/receipt", other)).status_code == 200
    assert asyncio.run(get("/v1/works/99/receipt", other)).status_code == 404

"""An image in the pool: delivered whole (JSONL with base64, or tar shards), never a crash."""

from __future__ import annotations

import base64
import json
import tarfile
from pathlib import Path

from syndic.access.canaries import PER_AGREEMENT
from syndic.deals.package import write_shards
from syndic.members.service import NewWork
from tests.coalition import World, active_agreement, world
from tests.conftest import MakeSyndic
from tests.unit.catalogue.files import png


def _image_under_agreement(
    make_syndic: MakeSyndic, image: bytes, title: str, holder: int
) -> tuple[World, int, str]:
    """Two text works and ``image`` (held by member ``holder``) under an active agreement,
    with a token for it."""
    w = world(make_syndic, n=2)
    w.s.members.register_work(
        NewWork(image, title, "image", "c", [(w.members[holder], 10_000)], {}, "image/png"),
        registered_by=w.members[holder],
    )
    agreement = active_agreement(w)
    return w, agreement, w.s.deals.issue_token(agreement)


def test_an_image_does_not_break_delivery(make_syndic: MakeSyndic, tmp_path: Path) -> None:
    image = png(5, 4)
    w, agreement, token = _image_under_agreement(make_syndic, image, "Sunset", 0)
    grant = w.s.deals.authorize_delivery(token, agreement)
    lines = [json.loads(x) for x in w.s.deals.dataset_lines(grant)]
    assert len(lines) == 3  # what the agreement covers, before the licensee's marks
    pictures = [x for x in lines if x["media_type"] == "image/png"]
    assert len(pictures) == 1 and "text" not in pictures[0]
    assert base64.b64decode(pictures[0]["content_base64"]) == image
    texts = [x for x in lines if x["media_type"].startswith("text/plain")]
    assert {x["text"] for x in texts} == {"work 0", "work 1"}
    assert all("content_base64" not in x for x in texts)

    n = write_shards(w.s.deals.dataset_records(grant), tmp_path / "out", per_shard=2)
    assert n == 3
    shards = sorted((tmp_path / "out").glob("shard-*.tar"))
    assert [p.name for p in shards] == ["shard-000000.tar", "shard-000001.tar"]
    names: dict[str, bytes] = {}
    for shard in shards:
        with tarfile.open(shard) as tar:
            for member in tar.getmembers():
                fh = tar.extractfile(member)
                assert fh is not None
                names[member.name] = fh.read()
    key = pictures[0]["digest"].removeprefix("sha256:")
    assert names[f"{key}.png"] == image
    assert json.loads(names[f"{key}.json"])["media_type"] == "image/png"
    index = (tmp_path / "out" / "index.jsonl").read_text().splitlines()
    assert len(index) == 3
    deliveries = w.payloads("data.delivered")
    assert [d["works"] for d in deliveries] == [3, 3]


def test_an_image_is_delivered_over_the_api(make_syndic: MakeSyndic) -> None:
    from fastapi.testclient import TestClient

    from syndic.api.app import create_app

    image = png(2, 2)
    w, agreement, token = _image_under_agreement(make_syndic, image, "Dot", 1)
    with TestClient(create_app(w.s)) as c:
        r = c.get(
            f"/v1/agreements/{agreement}/dataset.jsonl",
            headers={"Authorization": f"License {token}"},
        )
    assert r.status_code == 200
    lines = [json.loads(x) for x in r.text.splitlines()]
    assert len(lines) == 3 + PER_AGREEMENT  # the three works and the agreement's canaries
    assert [base64.b64decode(x["content_base64"]) for x in lines if "content_base64" in x] == [
        image
    ]


def test_tar_shards_carry_the_licensees_marks_and_canaries(
    make_syndic: MakeSyndic, tmp_path: Path
) -> None:
    """A packaged delivery goes through the same marking as JSONL: the agreement's canaries
    are among the samples, texts are in the agreement's forms, the image's bytes untouched."""
    from syndic.access.marks import unmarked

    image = png(3, 3)
    w, agreement, token = _image_under_agreement(make_syndic, image, "Dot", 1)
    grant = w.s.deals.authorize_delivery(token, agreement)
    jsonl = [json.loads(x) for x in w.s.licensed_dataset(grant)]
    grant = w.s.deals.authorize_delivery(token, agreement)
    n = write_shards(w.s.licensed_records(grant), tmp_path / "out")
    assert n == 3 + PER_AGREEMENT
    with tarfile.open(tmp_path / "out" / "shard-000000.tar") as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
    texts = {name: data.decode() for name, data in files.items() if name.endswith(".txt")}
    nonces = [c.nonce.capitalize() for c in w.s.access.canaries(agreement)]
    assert sum(any(nonce in t for t in texts.values()) for nonce in nonces) == PER_AGREEMENT
    # the same records as the JSONL delivery, with the same marked texts
    assert sorted(texts.values()) == sorted(x["text"] for x in jsonl if "text" in x)
    assert {unmarked(t) for t in texts.values()} >= {"work 0", "work 1"}
    key = next(x for x in jsonl if x["media_type"] == "image/png")["digest"][7:]
    assert files[f"{key}.png"] == image
    # a canary has every field a real record has, so its form does not give it away
    assert all(set(x) >= {"digest", "title", "media_type", "meta", "licence"} for x in jsonl)

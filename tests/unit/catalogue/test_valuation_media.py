"""Valuation reads extracted text where there is some, and names the works it cannot value."""

from __future__ import annotations

from pathlib import Path

from syndic.members.importer import import_arxiv
from syndic.members.service import NewWork
from syndic.valuation.params import RunParams
from tests.conftest import MakeSyndic
from tests.unit.catalogue.files import png


def test_images_are_named_as_not_valued(make_syndic: MakeSyndic, fixture_jsonl: Path) -> None:
    s = make_syndic()
    import_arxiv(s.members, fixture_jsonl)
    m = s.members.list_members(limit=1)[0]
    image, _ = s.members.register_work(
        NewWork(png(), "Plot", "image", "c", [(m.id, 10_000)], {"field": "cs"}, "image/png"),
        registered_by=m.id,
    )
    run = s.valuation.run(RunParams(label="field", seed=1, group_permutations=0, dims=8))
    assert run.summary["not_valued"] == {
        "count": 1,
        "works": [{"work": image.id, "reason": "image/png: no text to value"}],
    }
    assert image.id not in {v.work_id for v in s.valuation.work_values(run.id)}

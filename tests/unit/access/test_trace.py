"""Marks and tracing: 24 licensees, every leak transformation the issue names, no false
accusation anywhere, and the right licensee whenever 10% of a copy survives."""

from __future__ import annotations

import json
import random
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from syndic.access.marks import agreement_key, mark, places, unmarked
from syndic.access.trace import ALPHA, binomial_tail, trace

LICENSEES = 24
SECRET = b"\x11" * 32
KEYS = {a: agreement_key(SECRET, a) for a in range(1, LICENSEES + 1)}


@pytest.fixture(scope="module")
def works(fixture_jsonl: Path) -> list[str]:
    return [json.loads(x)["abstract"] for x in fixture_jsonl.read_text().splitlines()]


@pytest.fixture(scope="module")
def unrelated(shared: Path) -> list[str]:
    with (shared / "data/arxiv/strat25k.jsonl").open() as fh:
        return [json.loads(x)["abstract"] for x, _ in zip(fh, range(400), strict=False)]


@pytest.fixture(scope="module")
def copies(works: list[str]) -> dict[int, list[str]]:
    return {a: [mark(t, key) for t in works] for a, key in KEYS.items()}


def _nfkc(ts: list[str]) -> list[str]:
    return [unicodedata.normalize("NFKC", t) for t in ts]


def _collapse(ts: list[str]) -> list[str]:
    return [" ".join(t.split()) for t in ts]


def _strip_invisible(ts: list[str]) -> list[str]:
    return [re.sub(r"[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]", "", t) for t in ts]


def _all_three(ts: list[str]) -> list[str]:
    return _strip_invisible(_collapse(_nfkc(ts)))


TRANSFORMS: dict[str, Callable[[list[str]], list[str]]] = {
    "as delivered": lambda ts: ts,
    "nfkc": _nfkc,
    "whitespace collapsed": _collapse,
    "zero-width removed": _strip_invisible,
    "all three": _all_three,
}


def _leak(copy: list[str], unrelated: list[str], seed: int, *, mix: bool) -> list[str]:
    rng = random.Random(seed)
    kept = rng.sample(copy, len(copy) // 10)  # a random 10%, in shuffled order
    if mix:
        kept += rng.sample(unrelated, len(kept) * 2)  # twice as many unrelated records
        rng.shuffle(kept)
    return kept


def test_marks_change_only_the_documented_forms(works: list[str]) -> None:
    key = KEYS[1]
    for text in works:
        marked = mark(text, key)
        assert unmarked(marked) == unmarked(text)
        assert len(marked) == len(text)
        changed = {(a, b) for a, b in zip(text, marked, strict=True) if a != b}
        assert changed <= {("-", "\u2010"), ("\u2010", "-"), ("'", "\u2019"), ("\u2019", "'")}
    assert mark("the $x-y$ bound", key) == "the $x-y$ bound"  # a minus sign stays a minus


def test_marked_places_survive_the_normalisations(works: list[str]) -> None:
    marked = [mark(t, KEYS[3]) for t in works[:50]]
    before = [(p.plain, p.context, p.bit) for t in marked for p in places(t)]
    after = [(p.plain, p.context, p.bit) for t in _all_three(marked) for p in places(t)]
    assert before == after and len(before) > 80


@pytest.mark.parametrize("transform", list(TRANSFORMS))
@pytest.mark.parametrize("mix", [False, True])
def test_every_licensee_is_named_from_a_ten_percent_sample(
    copies: dict[int, list[str]], unrelated: list[str], transform: str, mix: bool
) -> None:
    for agreement, copy in copies.items():
        leak = TRANSFORMS[transform](_leak(copy, unrelated, agreement, mix=mix))
        verdict = trace(leak, KEYS)
        assert verdict.agreement == agreement, (agreement, verdict.candidates[:2])
        assert verdict.p_value is not None and verdict.p_value * LICENSEES <= ALPHA


def test_no_licensee_is_accused_without_a_marked_copy(
    works: list[str], unrelated: list[str]
) -> None:
    rng = random.Random(9)
    for leak in (
        works,  # the members' own, unmarked texts
        unrelated,  # texts no member holds
        rng.sample(works, 24) + rng.sample(unrelated, 48),
        _all_three(works),
    ):
        verdict = trace(leak, KEYS)
        assert verdict.agreement is None
    # a copy marked under a key the coalition never issued accuses no one either
    stranger = [mark(t, agreement_key(b"\x22" * 32, 1)) for t in works]
    assert trace(stranger, KEYS).agreement is None


def test_a_too_small_sample_names_no_one(copies: dict[int, list[str]]) -> None:
    verdict = trace(copies[5][:2], KEYS)
    assert verdict.agreement is None and verdict.places < 20


def test_binomial_tail_is_exact_on_small_cases() -> None:
    assert binomial_tail(3, 0) == 1.0
    assert binomial_tail(3, 3) == pytest.approx(1 / 8)
    assert binomial_tail(4, 2) == pytest.approx(11 / 16)
    assert binomial_tail(4, 5) == 0.0
    assert 0 < binomial_tail(2000, 2000) < 1e-300 or binomial_tail(2000, 2000) == 0.0

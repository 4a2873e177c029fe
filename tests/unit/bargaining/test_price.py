"""The price range: reservation from members' floors and the charter's coverage share, the
builder's bounds, the Nash ask, and where an offer sits."""

from __future__ import annotations

import json

import pytest

from syndic.bargaining import price
from syndic.bargaining.outside import PoolKeys, normal_title, parse, without_pool
from syndic.errors import InputFileError

STRIKE = {"accuracy_points": 4.0, "accuracy_points_interval": [3.0, 5.0]}


def test_reservation_is_the_lowest_price_keeping_the_coverage_share() -> None:
    # 10 works: member 1 (floor 0) holds 6, member 2 (floor 500) holds 3, member 3 (left) 1
    holders = [[1]] * 6 + [[2]] * 3 + [[3]]
    floors = {1: 0, 2: 500, 3: None}
    assert price.reservation(holders, floors, coverage_bp=6000)["minor"] == 0
    r = price.reservation(holders, floors, coverage_bp=8000)
    assert (r["minor"], r["covered_share"]) == (500, 0.9)
    assert price.reservation(holders, floors, coverage_bp=9500)["minor"] is None
    # a jointly held work needs every holder's floor
    assert price.reservation([[1, 2]], floors, coverage_bp=10_000)["minor"] == 500


def test_willingness_is_the_smaller_bound_and_the_ask_splits_the_surplus() -> None:
    equivalent = {"extra_works": 1000.0, "extra_works_interval": [800.0, 1500.0]}
    w = price.willingness(STRIKE, equivalent, price_per_work_minor=10, value_per_point_minor=5000)
    assert w["value_of_gain"]["minor"] == 20_000
    assert w["cost_of_equivalent_data"]["minor"] == 10_000
    assert (w["max_minor"], w["max_interval"]) == (10_000, [8_000, 15_000])
    assert price.nash_ask(2_000, 10_000, 0.5)["minor"] == 6_000
    assert price.nash_ask(2_000, 10_000, 1.0)["minor"] == 10_000
    assert price.nash_ask(12_000, 10_000, 0.5)["minor"] is None


def test_unreachable_outside_data_leaves_the_value_of_the_gain() -> None:
    w = price.willingness(
        STRIKE,
        {"extra_works": None, "words": "never"},
        price_per_work_minor=1,
        value_per_point_minor=100,
    )
    assert w["max_minor"] == 400 and w["cost_of_equivalent_data"]["minor"] is None


def test_position_in_the_range() -> None:
    pr = {
        "reservation": {"minor": 100},
        "ask": {"minor": 300},
        "willingness": {"max_minor": 500},
    }
    assert price.position(50, pr).startswith("below the reservation")
    assert price.position(200, pr) == "inside the range, below the suggested ask"
    assert price.position(300, pr) == "inside the range, at or above the suggested ask"
    assert price.position(501, pr).startswith("above the builder's estimated most")


def _line(**row: object) -> bytes:
    return json.dumps(row).encode() + b"\n"


def test_outside_data_drops_pool_works_by_digest_title_and_id() -> None:
    rows = [
        _line(id="a1", title="A Paper", abstract="x y", field="F"),
        _line(id="a2", title="Pool  paper!", abstract="other", field="F"),
        _line(id="p-7", title="Different", abstract="z", field="F"),
        _line(id="a4", title="Fresh", text="own text", field="G"),
        _line(id="a5", title="Fresh again", text="own text", field="G"),  # same content
    ]
    works = parse(b"".join(rows), label="field")
    pool = PoolKeys(
        frozenset({works[0].digest}), frozenset({normal_title("pool paper")}), frozenset({"p-7"})
    )
    kept, dropped = without_pool(works, pool)
    assert (kept, dropped) == ([3], 4)
    assert works[0].text == "arXiv:a1\nA Paper\n\nx y\n"  # laid out as the importer does


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not json\n", "line 1: not valid JSON"),
        (b"[1, 2]\n", "line 1: expected a JSON object"),
        (_line(id="a", title="t", abstract="x"), "line 1: no label 'field'"),
        (_line(id="a", title="t", field="F"), "no 'text' or 'abstract'"),
        (_line(title="t", abstract="x", field="F"), "field 'id' is missing"),
        (b"\n\n", "holds no works"),
    ],
)
def test_outside_data_in_the_wrong_format_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(InputFileError, match=message):
        parse(data, label="field")

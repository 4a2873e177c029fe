"""Valuation-weighted payouts with a floor: exact to the minor unit, and fair at the edges."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syndic.errors import InvalidInput, PolicyError
from syndic.payouts.policies import ValuationWeighted, split_exact

COVERED = {1: 20_000, 2: 10_000, 3: 10_000, 4: 5_000}


def test_floor_is_pro_rata_by_works_and_the_rest_follows_positive_value() -> None:
    p = ValuationWeighted(values={1: 0.3, 2: 0.1, 3: -0.2, 4: 0.0}, floor_bp=2000)
    parts = p.parts(100_000, COVERED)
    floor = {m: f for m, (f, _) in parts.items()}
    value = {m: v for m, (_, v) in parts.items()}
    assert sum(floor.values()) == 20_000  # 20% of the revenue
    # by works covered: 20000 : 10000 : 10000 : 5000
    assert floor == {1: 8_889, 2: 4_445, 3: 4_444, 4: 2_222}  # largest remainders, ties by id
    assert value == {1: 60_000, 2: 20_000, 3: 0, 4: 0}  # 0.3 : 0.1 of the other 80%
    assert sum(p.split(100_000, COVERED).values()) == 100_000
    assert all(f > 0 for f in floor.values())  # every covered member gets something


def test_with_no_positive_value_everything_is_pro_rata() -> None:
    p = ValuationWeighted(values={1: -1.0, 2: 0.0}, floor_bp=1000)
    assert p.split(3_000, {1: 1, 2: 2}) == {1: 1_000, 2: 2_000}


def test_members_missing_from_the_valuation_get_the_floor_only() -> None:
    p = ValuationWeighted(values={1: 1.0}, floor_bp=5000)
    assert p.parts(1_000, {1: 1, 2: 1}) == {1: (250, 500), 2: (250, 0)}


def test_zero_and_full_floor() -> None:
    values = {1: 1.0, 2: 3.0}
    assert ValuationWeighted(values=values, floor_bp=0).split(400, {1: 1, 2: 1}) == {1: 100, 2: 300}
    assert ValuationWeighted(values=values, floor_bp=10_000).split(400, {1: 1, 2: 1}) == {
        1: 200,
        2: 200,
    }


@pytest.mark.parametrize("bad", [-1, 10_001, 2.5, True, "20%"])
def test_a_bad_floor_is_refused(bad: object) -> None:
    with pytest.raises(PolicyError, match="floor_bp"):
        ValuationWeighted(values={}, floor_bp=bad)  # type: ignore[arg-type]


def test_a_non_finite_value_is_refused() -> None:
    with pytest.raises(PolicyError, match="finite"):
        ValuationWeighted(values={1: float("nan")}, floor_bp=0)


@given(
    total=st.integers(min_value=0, max_value=10**12),
    floor_bp=st.integers(min_value=0, max_value=10_000),
    members=st.dictionaries(
        st.integers(min_value=1, max_value=500),
        st.tuples(
            st.integers(min_value=1, max_value=10**6),
            st.floats(min_value=-1, max_value=1, allow_nan=False),
        ),
        min_size=1,
        max_size=40,
    ),
)
def test_the_split_is_exact_and_never_negative(total: int, floor_bp: int, members: dict) -> None:
    covered = {m: c for m, (c, _) in members.items()}
    p = ValuationWeighted(values={m: v for m, (_, v) in members.items()}, floor_bp=floor_bp)
    parts = p.parts(total, covered)
    assert sum(f + v for f, v in parts.values()) == total
    assert all(f >= 0 and v >= 0 for f, v in parts.values())
    assert sum(f for f, _ in parts.values()) == total * floor_bp // 10_000
    for m, (_, v) in parts.items():
        if members[m][1] <= 0 and any(x > 0 for _, x in members.values()):
            assert v == 0


def test_split_exact_refuses_negative_weights_and_nobody_to_pay() -> None:
    with pytest.raises(InvalidInput, match="weights cannot be negative"):
        split_exact(100, {1: 3, 2: -1})
    with pytest.raises(InvalidInput, match="every weight is zero"):
        split_exact(100, {1: 0, 2: 0.0})
    with pytest.raises(InvalidInput, match="every weight is zero"):
        split_exact(100, {})
    with pytest.raises(InvalidInput, match="negative amount"):
        split_exact(-1, {1: 1})
    # zero weights get nothing, and are left out
    assert split_exact(10, {1: 0, 2: 1, 3: 1.0}) == {2: 5, 3: 5}

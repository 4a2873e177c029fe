"""The fast path of ``canonical_bytes`` writes exactly what the RFC 8785 reference writes."""

from __future__ import annotations

from typing import Any

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from syndic.canonical import canonical_bytes
from syndic.errors import InvalidInput

_keys = st.text(min_size=0, max_size=6)
_leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.text(max_size=12)
    | st.floats(allow_nan=False, allow_infinity=False)
)
_values = st.recursive(
    _leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=20,
)


def _reference(value: Any) -> bytes | None:
    try:
        return bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, TypeError, ValueError):
        return None


@settings(max_examples=150, deadline=None)
@given(_values)
def test_same_bytes_as_the_reference(value: Any) -> None:
    want = _reference(value)
    if want is None:
        try:
            canonical_bytes(value)
        except InvalidInput:
            return
        raise AssertionError(f"the reference refuses {value!r}, we did not")
    assert canonical_bytes(value) == want


def test_the_cases_that_take_the_reference() -> None:
    for value in ({"é": 1, "z": 2, "\U0001f600": 3, "\ufeff": 4}, 1.5, 2**53 + 1, "\ud800"):
        assert (_reference(value) is None) or canonical_bytes(value) == _reference(value)

"""A content address is a value."""

from __future__ import annotations

import pytest

from syndic.errors import InvalidInput
from syndic.vault import Digest


def test_digest_is_a_value() -> None:
    d = Digest.of_bytes(b"abc")
    assert str(d) == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert Digest.parse(str(d)) == d
    with pytest.raises(InvalidInput):
        Digest("xyz")

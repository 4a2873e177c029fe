"""Shares of a work: parsed exactly, summing to 100%."""

from __future__ import annotations

import pytest

from syndic.errors import SharesError
from syndic.members.shares import check_shares, parse_percent


def test_shares_must_sum_to_100_percent() -> None:
    assert check_shares([(1, 6000), (2, 4000)]) == [(1, 6000), (2, 4000)]
    with pytest.raises(SharesError, match=r"99\.99%"):
        check_shares([(1, 6000), (2, 3999)])
    with pytest.raises(SharesError, match="twice"):
        check_shares([(1, 5000), (1, 5000)])
    with pytest.raises(SharesError):
        check_shares([])
    assert parse_percent("33.33") == 3333
    with pytest.raises(SharesError):
        parse_percent("33.333")

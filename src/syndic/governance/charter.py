"""The charter: the rules the members govern themselves by, as one versioned document.

A new version is adopted only by a vote under the *current* version's amendment rule; the
founding version is the one exception (there is no earlier rule to vote under).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from syndic.errors import PolicyError
from syndic.governance.voting.methods import (
    METHODS,
    QUORUM_BP,
    SUPERMAJORITY_BP,
    THRESHOLD_BP,
    VOICE_CREDITS,
    Method,
)
from syndic.validation import first_error

__all__ = ["Binding", "Charter", "Method", "VoteRule"]

FULL_BP = 10_000
# The EU Digital Services Act's very large online platform threshold (monthly active users).
EU_VLOP_MAU = 45_000_000


class Binding(StrEnum):
    COLLECTIVE = "collective"  # an approved deal covers everyone, red lines aside
    OPT_IN = "opt-in"  # it covers only members who consented (voted for it)


class VoteRule(BaseModel):
    """How one kind of question is decided."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: Method = Method.MAJORITY
    quorum_bp: int = Field(default=QUORUM_BP, ge=1, le=FULL_BP)
    # the winner's share of the decisive (non-abstaining) votes, rounded to the nearest basis
    # point, must reach this (6667: two-thirds, which 2 of 3 reach); and exceed half exactly
    threshold_bp: int = Field(default=THRESHOLD_BP, ge=THRESHOLD_BP, le=FULL_BP)
    delegation: bool = False
    secret: bool = False
    hours: int = Field(default=72, ge=1, le=24 * 90)
    # the steward may close the vote before ``hours`` are up even though some members have
    # not voted (without it, a vote closes early only once every member has voted)
    early_close: bool = False

    @model_validator(mode="after")
    def _supermajority_means_more(self) -> VoteRule:
        if not METHODS[self.method].chartered:
            raise ValueError(
                f"{self.method.value!r} is a way to recount a ballot file, not a rule; "
                "set delegation to true instead"
            )
        if self.method is Method.SUPERMAJORITY and self.threshold_bp <= THRESHOLD_BP:
            raise ValueError("a supermajority needs a threshold above 50%")
        return self


def _json_type(value: Any) -> str:
    """What a JSON value is, in words (for a message about the wrong one)."""
    names = {list: "an array", str: "a string", bool: "true or false", type(None): "null"}
    return next((w for t, w in names.items() if isinstance(value, t)), "a number")


class Charter(BaseModel):
    """One version of the charter. ``version`` 0 is the default before a founding vote."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = Field(default=0, ge=0)
    deal_vote: VoteRule = VoteRule()
    amendment: VoteRule = VoteRule(
        method=Method.SUPERMAJORITY, threshold_bp=SUPERMAJORITY_BP, hours=168
    )
    # who may put a charter amendment to the vote
    proposers: frozenset[Literal["steward", "member"]] = frozenset({"steward"})
    # quadratic voting: credits each member gets per period; n votes cost n^2 credits
    voice_credits: int = Field(default=VOICE_CREDITS, ge=1, le=1_000_000)
    credit_period_days: int = Field(default=90, ge=1, le=3660)
    unspent_credits: Literal["expire", "carry-over"] = "expire"
    binding: Binding = Binding.COLLECTIVE
    # market-leader clause: above this many monthly active users a builder is a very large
    # platform: it needs a negotiated licence, and members may refuse it in their mandate
    vlop_mau_threshold: int = Field(default=EU_VLOP_MAU, ge=1)
    open_licence: str | None = Field(
        default=None, max_length=200, description="what small builders may use without a deal"
    )
    offer_valid_hours: int = Field(default=14 * 24, ge=1, le=24 * 365)
    # payout policy parameters (read by the payouts part)
    payout_policy: Literal["valuation-weighted", "pro-rata-works"] = "pro-rata-works"
    payout_floor_bp: int = Field(default=2000, ge=0, le=FULL_BP)
    # the share of the pool's works a deal must keep covered (members' floors take works out):
    # the leverage report's reservation price is the lowest price that keeps this share
    coverage_share_bp: int = Field(default=8000, ge=1, le=FULL_BP)
    # which member value weighs the value part (docs/valuation.md argues the default)
    member_value: Literal["work-sum", "group-shapley"] = "work-sum"

    @property
    def proposers_list(self) -> list[str]:
        return sorted(self.proposers)

    def document(self) -> dict[str, Any]:
        """The charter as plain JSON (sets as sorted lists), as it is logged and stored."""
        doc = self.model_dump(mode="json")
        doc["proposers"] = self.proposers_list
        return doc

    @classmethod
    def parse(cls, data: Any, *, version: int | None = None) -> Charter:
        """Validate a charter document; errors name the field (``PolicyError``)."""
        if not isinstance(data, Mapping):
            raise PolicyError(f"a charter is a JSON object, not {_json_type(data)}")
        data = dict(data)
        if version is not None:
            data = {**data, "version": version}
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise PolicyError(first_error(exc, "charter")) from exc

    def amended(self, changes: dict[str, Any]) -> Charter:
        """This charter with ``changes`` applied (nested rules merge), as the next version."""
        if not changes:
            raise PolicyError("an amendment must change something")
        if "version" in changes:
            raise PolicyError("the version is set by adoption, not by the amendment")
        doc = self.document()
        for key, value in changes.items():
            if key not in doc:
                raise PolicyError(f"charter has no field {key!r}")
            if isinstance(doc[key], dict) and isinstance(value, dict):
                doc[key] = {**doc[key], **value}
            else:
                doc[key] = value
        new = Charter.parse(doc, version=self.version + 1)
        if new.document() | {"version": 0} == self.document() | {"version": 0}:
            raise PolicyError("the amendment leaves the charter as it is")
        return new

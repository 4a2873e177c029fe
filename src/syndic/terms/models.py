"""The licence terms model: what usages are permitted or prohibited, and at what price.

Usage tokens are RSL 1.0's: ``all`` covers everything, ``ai-all`` covers every AI usage
(``ai-train``, ``ai-input``, ``ai-index``); ``search`` is not an AI usage.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from syndic.money import check_currency, check_minor


class Usage(StrEnum):
    ALL = "all"
    AI_ALL = "ai-all"
    AI_TRAIN = "ai-train"
    AI_INPUT = "ai-input"
    AI_INDEX = "ai-index"
    SEARCH = "search"


AI_USAGES = frozenset({Usage.AI_TRAIN, Usage.AI_INPUT, Usage.AI_INDEX})
LEAF_USAGES = frozenset({*AI_USAGES, Usage.SEARCH})


def expand(usages: frozenset[Usage] | set[Usage] | list[Usage]) -> frozenset[Usage]:
    """The concrete (leaf) usages a set of tokens covers."""
    out: set[Usage] = set()
    for u in usages:
        if u is Usage.ALL:
            out |= LEAF_USAGES
        elif u is Usage.AI_ALL:
            out |= AI_USAGES
        else:
            out.add(u)
    return frozenset(out)


class PaymentType(StrEnum):
    """RSL payment types that Syndic prices."""

    FREE = "free"
    PURCHASE = "purchase"
    SUBSCRIPTION = "subscription"
    TRAINING = "training"
    CRAWL = "crawl"
    USE = "use"
    ATTRIBUTION = "attribution"


class Terms(BaseModel):
    """One set of licence terms. Immutable; a new version is a new object."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    permits: frozenset[Usage] = Field(default_factory=frozenset)
    prohibits: frozenset[Usage] = Field(default_factory=frozenset)
    payment_type: PaymentType = PaymentType.TRAINING
    amount_minor: int = 0
    currency: str = "EUR"
    duration_days: int = Field(default=365, ge=1, le=36500)

    @field_validator("amount_minor")
    @classmethod
    def _amount(cls, v: int) -> int:
        return check_minor(v)

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        return check_currency(v)

    @model_validator(mode="after")
    def _consistent(self) -> Terms:
        free = self.payment_type in (PaymentType.FREE, PaymentType.ATTRIBUTION)
        if not free and self.amount_minor == 0 and self.permits:
            raise ValueError(f"payment type {self.payment_type} needs an amount greater than zero")
        return self

    def allows(self, usage: Usage) -> bool:
        """A prohibition beats a permission; a usage neither permitted nor prohibited is refused."""
        wanted = expand([usage])
        return (
            bool(wanted)
            and wanted <= expand(self.permits)
            and not (wanted & expand(self.prohibits))
        )

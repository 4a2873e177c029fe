"""Pay per crawl: HTTP 402 with ``crawler-price``; a signed retry that accepts the price is
served and charged, and the response says so in ``crawler-charged``.

Errors carry ``crawler-error`` with the codes and status codes of Cloudflare's published
table (400 for a malformed or unsigned offer, 402 for a missing offer or one that does not pay
the price, 403 for a crawler the site blocks); every 402 also carries ``crawler-price``. A
``crawler-max-price`` at or above the price is served and charged the price (not the
maximum); below it, or in another currency, is 402 ``InvalidCrawlerMaxPrice``.
Prices are ``CUR major`` strings (``EUR 0.01``) held as integer minor units.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from syndic.errors import AmountError
from syndic.money import Money, parse_major

EXACT = "crawler-exact-price"
MAX = "crawler-max-price"
PRICE = "crawler-price"
CHARGED = "crawler-charged"
ERROR = "crawler-error"
_PRICE = re.compile(r"^([A-Z]{3}) ([0-9]+(?:\.[0-9]+)?)$")


@dataclass(frozen=True)
class Price:
    currency: str
    minor: int

    def __str__(self) -> str:
        """The protocol's spelling, currency first: ``EUR 0.01``."""
        return f"{self.currency} {Money(self.minor, self.currency).major}"


def parse_price(text: str) -> Price:
    """``EUR 0.01`` -> Price; ``ValueError`` with the reason otherwise."""
    m = _PRICE.match(text.strip())
    if m is None:
        raise ValueError(f"a price is written like `EUR 0.01`, not {text.strip()[:40]!r}")
    try:
        minor = parse_major(m.group(2), m.group(1))
    except AmountError as exc:
        raise ValueError(exc.message) from exc
    return Price(m.group(1), minor)


@dataclass(frozen=True)
class CrawlerError:
    code: str
    status: int
    message: str


FORBIDDEN = CrawlerError("CrawlerForbidden", 403, "the site blocks this crawler")
STRONG_AUTH = CrawlerError(
    "StrongAuthRequired", 400, "a paid request must carry a Web Bot Auth signature"
)
CONFLICT = CrawlerError("ConflictingPriceHeaders", 400, f"send {EXACT} or {MAX}, not both")


def missing_price(price: Price) -> CrawlerError:
    return CrawlerError(
        "MissingCrawlerPrice",
        402,
        f"this content costs {price} per request: retry signed, with {EXACT} or {MAX}",
    )


def invalid_signature(why: str) -> CrawlerError:
    return CrawlerError("InvalidSignature", 400, why)


@dataclass(frozen=True)
class Offer:
    header: str  # which header carried it (it must be covered by the signature)
    price: Price


def read_offer(headers: dict[str, Any]) -> Offer | CrawlerError | None:
    """The crawler's offer, an error, or None when it made none."""
    exact, most = headers.get(EXACT), headers.get(MAX)
    if exact is not None and most is not None:
        return CONFLICT
    if exact is None and most is None:
        return None
    header = EXACT if exact is not None else MAX
    try:
        return Offer(header, parse_price(str(exact if exact is not None else most)))
    except ValueError as exc:
        return CrawlerError("InvalidCrawlerPriceValue", 400, str(exc))


def accept(offer: Offer, price: Price) -> CrawlerError | None:
    """None when the offer pays ``price``; otherwise the 402 that says why not."""
    if offer.header == EXACT:
        if offer.price != price:
            return CrawlerError(
                "InvalidCrawlerExactPrice", 402, f"{EXACT} must equal {PRICE} ({price})"
            )
        return None
    if offer.price.currency != price.currency or offer.price.minor < price.minor:
        return CrawlerError("InvalidCrawlerMaxPrice", 402, f"{MAX} is below {PRICE} ({price})")
    return None

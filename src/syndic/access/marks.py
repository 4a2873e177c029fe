"""Per-licensee marks in delivered text: choices between forms a reader sees as the same.

Which marks, and why (docs/detection.md says the same):

- **Apostrophes and hyphens inside words.** Between two letters, an apostrophe is written
  either as U+0027 (') or as U+2019 (’, the form Unicode recommends for an apostrophe), and
  a hyphen as U+002D (-) or U+2010 (‐, HYPHEN). Each such place carries one bit, chosen by a
  keyed hash of the agreement and of the place's context (the two words on either side).
  These forms survive what copies usually do to text: NFKC leaves both forms as they are,
  they are not whitespace (collapsing spaces keeps them) and not format characters (removing
  zero-width characters keeps them). Hyphens inside ``$...$`` (TeX mathematics, where ``-``
  is a minus sign) are never touched, and nothing else in the text changes.
- **Not used:** zero-width or format characters, and whitespace or NFKC-variant forms (all
  lost to the normalisations tracing must survive); the order of records (lost to a
  shuffle); letters from other scripts that look alike (they change what a machine reads).

``unmarked`` maps every marked form back to ASCII, so a member can check that a delivered
text differs from theirs only in these forms: ``unmarked(delivered) == unmarked(original)``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterator
from dataclasses import dataclass

from syndic.detection.minhash import normalise

_PLAIN = {"'": "'", "\u2019": "'", "-": "-", "\u2010": "-"}
_FANCY = {"'": "\u2019", "-": "\u2010"}
_PLACE = re.compile(r"(?<=[^\W\d_])['\u2019\-\u2010](?=[^\W\d_])")
_MATH = re.compile(r"\$[^$]*\$")
_WORD = re.compile(r"[^\W_]+")
_CONTEXT_WORDS = 2


@dataclass(frozen=True)
class Place:
    """One markable place: its offset, its kind (the ASCII form) and its form now (1 fancy)."""

    offset: int
    plain: str
    bit: int
    context: bytes


def _context(text: str, offset: int) -> bytes:
    """The words on either side of a place, normalised as detection normalises text (so the
    context reads the same after NFKC, case changes or removed zero-width characters)."""
    left = _WORD.findall(normalise(text[max(0, offset - 80) : offset]))[-_CONTEXT_WORDS:]
    right = _WORD.findall(normalise(text[offset + 1 : offset + 81]))[:_CONTEXT_WORDS]
    return " ".join([*left, "|", *right]).encode()


def places(text: str) -> Iterator[Place]:
    """The markable places of ``text``, in order (none inside ``$...$``)."""
    math = [m.span() for m in _MATH.finditer(text)]
    for m in _PLACE.finditer(text):
        at = m.start()
        if any(a <= at < b for a, b in math):
            continue
        ch = m.group()
        yield Place(at, _PLAIN[ch], int(ch in ("\u2019", "\u2010")), _context(text, at))


def agreement_key(secret: bytes, agreement: int) -> bytes:
    """The marking key of one agreement, from the coalition's marking secret."""
    return hmac.new(secret, f"agreement:{agreement}".encode(), hashlib.sha256).digest()


def expected_bit(key: bytes, place: Place) -> int:
    return (
        hmac.new(key, place.plain.encode() + b"\0" + place.context, hashlib.sha256).digest()[0] & 1
    )


def mark(text: str, key: bytes) -> str:
    """``text`` with each markable place written in the form ``key`` chooses."""
    out = list(text)
    for p in places(text):
        out[p.offset] = _FANCY[p.plain] if expected_bit(key, p) else p.plain
    return "".join(out)


def unmarked(text: str) -> str:
    """``text`` with every markable place in its ASCII form (what a member compares)."""
    out = list(text)
    for p in places(text):
        out[p.offset] = p.plain
    return "".join(out)

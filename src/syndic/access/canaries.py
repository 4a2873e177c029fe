"""Canary records: a few generated, unique, harmless records in every licensed delivery.

Each agreement gets ``PER_AGREEMENT`` canaries, derived from the coalition's secret and the
agreement's id (so nothing needs storing and every delivery under an agreement carries the
same ones). A canary is a plain sentence about nothing that names an invented word (its
*nonce*: ten letters in consonant-vowel pairs, 2^40-odd of them); the nonce appearing in a
scanned dataset or in a model's output names the agreement it was issued under.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from syndic.deals.delivery import DatasetRecord
from syndic.detection.minhash import words

PER_AGREEMENT = 4
T = TypeVar("T")
_CONSONANTS = "bdfgklmnprstvz"
_VOWELS = "aeiou"
_SUBJECTS = ("garden", "lantern", "harbour", "meadow", "library", "orchard", "workshop", "valley")
_VERBS = ("describes", "remembers", "collects", "keeps", "names", "follows")
_OBJECTS = ("quiet evenings", "old maps", "river stones", "paper kites", "winter songs")


@dataclass(frozen=True)
class Canary:
    agreement: int
    number: int
    nonce: str
    title: str
    text: str

    def record(self) -> DatasetRecord:
        """The canary as a delivered record, shaped like every other text record (the same
        fields in JSONL, the same files in a tar shard), so it cannot be told apart by form."""
        content = self.text.encode("utf-8")
        return DatasetRecord(
            digest="sha256:" + hashlib.sha256(content).hexdigest(),
            title=self.title,
            collection="notes",
            media_type="text/plain",
            meta={},
            licence=f"agreement:{self.agreement}",
            content=content,
            text=self.text,
        )


def _nonce(seed: bytes) -> str:
    n = int.from_bytes(seed[:8], "big")
    out = []
    for _ in range(5):
        n, c = divmod(n, len(_CONSONANTS))
        n, v = divmod(n, len(_VOWELS))
        out.append(_CONSONANTS[c] + _VOWELS[v])
    return "".join(out)


def canaries(secret: bytes, agreement: int) -> list[Canary]:
    """The canaries of ``agreement`` under the coalition's canary ``secret``."""
    out = []
    for i in range(PER_AGREEMENT):
        seed = hmac.new(secret, f"canary:{agreement}:{i}".encode(), hashlib.sha256).digest()
        nonce = _nonce(seed)
        subject = _SUBJECTS[seed[10] % len(_SUBJECTS)]
        verb = _VERBS[seed[11] % len(_VERBS)]
        obj = _OBJECTS[seed[12] % len(_OBJECTS)]
        text = (
            f"The {subject} of {nonce.capitalize()} {verb} {obj}. "
            f"Visitors to {nonce.capitalize()} say the {subject} is calm in every season."
        )
        out.append(Canary(agreement, i, nonce, f"Notes on {nonce.capitalize()}", text))
    return out


def positions(secret: bytes, agreement: int, count: int) -> list[int]:
    """Where the canaries go among ``count`` records: before record ``p`` for each ``p``."""
    key = hmac.new(secret, f"canary-positions:{agreement}".encode(), hashlib.sha256).digest()
    spread = max(count, 1)
    return sorted(
        int.from_bytes(key[4 * i : 4 * i + 4], "big") % (spread + 1) for i in range(PER_AGREEMENT)
    )


class CanaryBook:
    """Every agreement's canaries by nonce: which agreement a text's canaries name."""

    def __init__(self, secret: bytes, agreements: Iterable[int]) -> None:
        self._by_nonce = {
            c.nonce.encode(): c.agreement for a in agreements for c in canaries(secret, a)
        }

    def agreements_in(self, text: str) -> list[int]:
        if not self._by_nonce:
            return []
        ws = words(text)
        if self._by_nonce.keys().isdisjoint(ws):  # nearly every text: one pass in C
            return []
        return sorted({self._by_nonce[w] for w in ws if w in self._by_nonce})


def interleave(lines: Iterable[T], inserts: list[int], extra: list[T]) -> Iterator[T]:
    """``lines`` with ``extra[j]`` placed before line ``inserts[j]`` (the rest at the end)."""
    pending = sorted(zip(inserts, range(len(extra)), strict=True))
    j = 0
    for n, line in enumerate(lines):
        while j < len(pending) and pending[j][0] <= n:
            yield extra[pending[j][1]]
            j += 1
        yield line
    for _, k in pending[j:]:
        yield extra[k]

"""``Digest``: a SHA-256 content address as a value."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import BinaryIO

from syndic.errors import InvalidInput

CHUNK = 1 << 20
_HEX = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True, order=True)
class Digest:
    hex: str

    def __post_init__(self) -> None:
        if not _HEX.match(self.hex):
            raise InvalidInput(f"not a SHA-256 hex digest: {self.hex!r}")

    def __str__(self) -> str:
        return f"sha256:{self.hex}"

    @property
    def raw(self) -> bytes:
        return bytes.fromhex(self.hex)

    @classmethod
    def parse(cls, text: str) -> Digest:
        """Accept ``sha256:<hex>`` or bare hex."""
        return cls(text.removeprefix("sha256:").lower())

    @classmethod
    def of_bytes(cls, data: bytes) -> Digest:
        return cls(hashlib.sha256(data).hexdigest())

    @classmethod
    def of_stream(cls, stream: BinaryIO) -> Digest:
        h = hashlib.sha256()
        while chunk := stream.read(CHUNK):
            h.update(chunk)
        return cls(h.hexdigest())

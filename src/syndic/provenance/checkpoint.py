"""C2SP tlog-checkpoints (c2sp.org/tlog-checkpoint): a signed note naming a tree head.

The note text is three lines: the log's origin, the tree size in decimal, the base64 root
hash (then optional extension lines, which Syndic never writes). The log signs with its
Ed25519 key under a key name equal to the origin.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from syndic.errors import InvalidInput, VerificationError
from syndic.keys import SigningKey
from syndic.provenance.merkle import HASH_SIZE
from syndic.provenance.note import (
    NoteSigner,
    NoteVerifier,
    check_key_name,
    open_note,
    parse_note,
    sign_note,
)

_SIZE = re.compile(r"0|[1-9][0-9]*")


def log_origin(coalition_name: str) -> str:
    """A coalition's log origin: a schema-less name without spaces or '+', stable per name."""
    slug = re.sub(r"[^a-z0-9]+", "-", coalition_name.strip().lower()).strip("-")
    if not slug:
        raise InvalidInput("the coalition name gives an empty log origin")
    return f"syndic/{slug}"


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_key_name(self.origin)
        if self.size < 0:
            raise InvalidInput("checkpoint tree size must be non-negative")
        if len(self.root) != HASH_SIZE:
            raise InvalidInput(f"checkpoint root must be {HASH_SIZE} bytes")
        if any(not line or "\n" in line for line in self.extensions):
            raise InvalidInput("checkpoint extension lines must be single non-empty lines")

    def body(self) -> str:
        lines = [
            self.origin,
            str(self.size),
            base64.b64encode(self.root).decode(),
            *self.extensions,
        ]
        return "\n".join(lines) + "\n"

    @classmethod
    def parse_body(cls, text: str) -> Checkpoint:
        if not text.endswith("\n"):
            raise InvalidInput("checkpoint text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise InvalidInput("checkpoint needs origin, size and root lines")
        origin, size, root, *ext = lines
        if not _SIZE.fullmatch(size):
            raise InvalidInput(f"checkpoint size {size[:24]!r} is not a decimal without leading 0")
        try:
            raw = base64.b64decode(root, validate=True)
        except binascii.Error as exc:
            raise InvalidInput("checkpoint root is not base64") from exc
        return cls(origin, int(size), raw, tuple(ext))


def sign_checkpoint(cp: Checkpoint, key: SigningKey) -> str:
    """The signed note text, signed by ``key`` under the checkpoint's origin."""
    return str(sign_note(cp.body(), [NoteSigner(cp.origin, key)]))


def open_checkpoint(
    note: bytes | str, verifier: NoteVerifier, *, origin: str | None = None
) -> Checkpoint:
    """Verify the log's signature and parse the checkpoint; refuse another log's checkpoint."""
    want = origin or verifier.name
    parsed = parse_note(note)
    cp = Checkpoint.parse_body(parsed.text)
    if cp.origin != want:
        raise VerificationError(f"checkpoint is from log {cp.origin!r}, expected {want!r}")
    open_note(note, [verifier])
    return cp


class LogSigner:
    """The log's identity: its origin and the coalition key that signs its checkpoints."""

    def __init__(self, origin: str, key: SigningKey) -> None:
        check_key_name(origin)
        self.origin = origin
        self._key = key
        self.verifier = NoteVerifier(origin, key.public_key())

    def sign(self, size: int, root: bytes) -> str:
        return sign_checkpoint(Checkpoint(self.origin, size, root), self._key)

    def open(self, note: bytes | str) -> Checkpoint:
        return open_checkpoint(note, self.verifier, origin=self.origin)

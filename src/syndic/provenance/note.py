"""C2SP signed notes (c2sp.org/signed-note) with Ed25519 signatures.

A note is UTF-8 text ending in a newline, a blank line, then one or more lines
``— <key name> base64(key ID || signature)``. The Ed25519 key ID is the first four bytes of
SHA-256(name || 0x0A || 0x01 || public key). A verifier key is written
``<name>+<key ID as 8 hex digits>+base64(0x01 || public key)``.

Verification follows the spec: signatures by unknown keys are ignored, a signature by a
known key that fails rejects the whole note, and a note with no verified signature by a
known key is rejected.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from syndic.errors import InvalidInput, VerificationError
from syndic.keys import SigningKey, public_raw

ED25519 = 0x01
SIG_PREFIX = "— "  # U+2014 EM DASH, then a space
MAX_SIGNATURES = 64  # the spec asks verifiers to accept at least 16
MAX_NOTE_BYTES = 1 << 20


def key_id(name: str, public_key: bytes, sig_type: int = ED25519) -> bytes:
    """The 4-byte key ID the spec recommends: SHA-256(name || LF || type || key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public_key).digest()[:4]


def check_key_name(name: str) -> None:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise InvalidInput(f"key name {name!r} must be non-empty, without spaces or '+'")
    _check_chars(name, "key name")


def _check_chars(text: str, what: str) -> None:
    if any(c < " " and c != "\n" for c in text):
        raise InvalidInput(f"{what} contains a control character")


@dataclass(frozen=True)
class NoteSignature:
    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        return (
            f"{SIG_PREFIX}{self.name} {base64.b64encode(self.key_id + self.signature).decode()}\n"
        )


@dataclass(frozen=True)
class Note:
    text: str
    signatures: tuple[NoteSignature, ...]

    def __str__(self) -> str:
        return self.text + "\n" + "".join(s.line() for s in self.signatures)

    def encode(self) -> bytes:
        return str(self).encode()


class NoteSigner:
    """Signs note text under a key name with an Ed25519 private key."""

    def __init__(self, name: str, private_key: SigningKey) -> None:
        check_key_name(name)
        self.name = name
        self._key = private_key
        self.key_id = key_id(name, public_raw(private_key.public_key()))

    def verifier(self) -> NoteVerifier:
        return NoteVerifier(self.name, self._key.public_key())

    def sign(self, text: str) -> NoteSignature:
        return NoteSignature(self.name, self.key_id, self._key.sign(text.encode()))


class NoteVerifier:
    """A trusted public key under a name; ``parse_verifier_key`` reads the string form."""

    def __init__(self, name: str, public_key: Ed25519PublicKey) -> None:
        check_key_name(name)
        self.name = name
        self.public_key = public_key
        self.key_id = key_id(name, public_raw(public_key))

    def __str__(self) -> str:
        """The verifier key string ``name+keyid+base64(0x01 || key)``."""
        raw = bytes([ED25519]) + public_raw(self.public_key)
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(raw).decode()}"

    def matches(self, sig: NoteSignature) -> bool:
        return sig.name == self.name and sig.key_id == self.key_id

    def verify(self, text: str, sig: NoteSignature) -> bool:
        try:
            self.public_key.verify(sig.signature, text.encode())
        except InvalidSignature:
            return False
        return True


def parse_verifier_key(vkey: str) -> NoteVerifier:
    """Read ``name+keyid+base64(type || key)``, checking that the key ID matches the key."""
    # the name holds no '+', the key ID is hex, so only the base64 key may contain '+'
    parts = vkey.strip().split("+", 2)
    if len(parts) != 3:
        raise InvalidInput("a verifier key is 'name+keyid+base64key'")
    name, hex_id, b64 = parts
    try:
        raw = base64.b64decode(b64, validate=True)
        want_id = bytes.fromhex(hex_id)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("verifier key has a malformed key ID or key encoding") from exc
    if len(want_id) != 4 or len(hex_id) != 8:
        raise InvalidInput("verifier key ID must be 8 hex digits")
    if len(raw) != 33 or raw[0] != ED25519:
        raise InvalidInput("verifier key is not an Ed25519 (type 0x01) key")
    verifier = NoteVerifier(name, Ed25519PublicKey.from_public_bytes(raw[1:]))
    if verifier.key_id != want_id:
        raise InvalidInput("verifier key ID does not match its name and key")
    return verifier


def parse_note(data: bytes | str) -> Note:
    """Split a signed note into text and signature lines, checking the format only."""
    data = _note_text(data)
    _check_chars(data, "note")
    split = data.rfind("\n\n")
    if split < 0:
        raise InvalidInput("note has no blank line before its signatures")
    text, block = data[: split + 1], data[split + 2 :]
    if not block.endswith("\n"):
        raise InvalidInput("note's signature block must end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise InvalidInput(f"note has more than {MAX_SIGNATURES} signatures")
    return Note(text, tuple(_signature_line(line) for line in lines))


def _note_text(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    if len(data) > MAX_NOTE_BYTES:
        raise InvalidInput("note is too large")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput("note is not valid UTF-8") from exc


def _signature_line(line: str) -> NoteSignature:
    if not line.startswith(SIG_PREFIX):
        raise InvalidInput("a signature line must start with an em dash and a space")
    name, _, b64 = line[len(SIG_PREFIX) :].partition(" ")
    check_key_name(name)
    try:
        raw = base64.b64decode(b64, validate=True)
    except binascii.Error as exc:
        raise InvalidInput(f"signature by {name} is not base64") from exc
    if len(raw) < 5:
        raise InvalidInput(f"signature by {name} is too short")
    return NoteSignature(name, raw[:4], raw[4:])


def sign_note(text: str, signers: Sequence[NoteSigner]) -> Note:
    if not text.endswith("\n"):
        raise InvalidInput("note text must end with a newline")
    _check_chars(text, "note text")
    if not signers:
        raise InvalidInput("a signed note needs at least one signer")
    return Note(text, tuple(s.sign(text) for s in signers))


def open_note(data: bytes | str, verifiers: Iterable[NoteVerifier]) -> Note:
    """Parse and verify: at least one known key signed it, and no known key's signature fails."""
    note = parse_note(data)
    known = list(verifiers)
    verified = 0
    for sig in note.signatures:
        for v in known:
            if v.matches(sig):
                if not v.verify(note.text, sig):
                    raise VerificationError(f"signature by {sig.name} does not verify")
                verified += 1
    if not verified:
        names = ", ".join(f"{v.name}+{v.key_id.hex()}" for v in known) or "none given"
        raise VerificationError(f"note is not signed by a trusted key ({names})")
    return note

"""Ed25519 keys: the coalition's ``Signer`` (the one holder of its private key), its key file
(mode 0600), and public-key encodings."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from syndic.errors import ConfigError, VerificationError


def generate_key_file(path: Path) -> Ed25519PrivateKey:
    """Create a new Ed25519 key at ``path`` (refuses to overwrite), readable by the owner only."""
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise ConfigError(f"key file already exists: {path}") from exc
    except OSError as exc:
        raise ConfigError(f"cannot write key file {path}: {exc.strerror}") from exc
    with os.fdopen(fd, "wb") as fh:
        fh.write(raw)
    return key


def load_key_file(path: Path) -> Ed25519PrivateKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read key file {path}: {exc.strerror}") from exc
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except ValueError as exc:
        raise ConfigError(f"key file {path} is not a PEM private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"key file {path} is not an Ed25519 key")
    return key


def public_raw(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_b64(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    return base64.b64encode(public_raw(key)).decode("ascii")


def load_public_b64(text: str) -> Ed25519PublicKey:
    try:
        raw = base64.b64decode(text, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise VerificationError("public key is not a base64 Ed25519 key") from exc


def verify(pub: Ed25519PublicKey, signature: bytes, message: bytes) -> None:
    """Raise ``VerificationError`` unless ``signature`` signs ``message`` under ``pub``."""
    try:
        pub.verify(signature, message)
    except InvalidSignature as exc:
        raise VerificationError("signature does not verify") from exc


class SigningKey(Protocol):
    """What signing code needs of a key: an Ed25519 private key or a ``Signer`` both fit."""

    def sign(self, data: bytes) -> bytes: ...

    def public_key(self) -> Ed25519PublicKey: ...


class Signer:
    """The coalition's signing key. Nothing else holds the private key: agreements and
    checkpoints are signed through ``sign``, and secrets the gate needs are derived here."""

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key

    @classmethod
    def create(cls, path: Path) -> Signer:
        """A new key written to ``path`` (refuses to overwrite), readable by the owner only."""
        return cls(generate_key_file(path))

    @classmethod
    def load(cls, path: Path) -> Signer:
        return cls(load_key_file(path))

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)

    def public_key(self) -> Ed25519PublicKey:
        return self._key.public_key()

    @property
    def public_b64(self) -> str:
        return public_b64(self._key)

    def derive_secret(self, purpose: bytes) -> bytes:
        """A 32-byte secret for ``purpose`` (HKDF-SHA256 over the key), stable per key."""
        raw = self._key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return HKDF(hashes.SHA256(), 32, salt=None, info=purpose).derive(raw)

    def __repr__(self) -> str:  # never the key itself
        return f"Signer(public_key={self.public_b64!r})"

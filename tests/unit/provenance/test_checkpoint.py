"""C2SP tlog-checkpoints: sign, parse, verify, and refuse foreign or malformed checkpoints."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from syndic.errors import InvalidInput, VerificationError
from syndic.provenance.checkpoint import Checkpoint, log_origin, open_checkpoint, sign_checkpoint
from syndic.provenance.merkle import MemoryTree
from syndic.provenance.note import NoteSigner

KEY = Ed25519PrivateKey.from_private_bytes(b"\x07" * 32)
ORIGIN = "syndic/test-coalition"


def _cp(size: int = 5) -> Checkpoint:
    tree = MemoryTree.of(f"e{i}".encode() for i in range(size))
    return Checkpoint(ORIGIN, size, tree.root())


def test_round_trip() -> None:
    cp = _cp()
    note = sign_checkpoint(cp, KEY)
    lines = note.split("\n")
    assert lines[:3] == [ORIGIN, "5", cp.body().split("\n")[2]]
    assert lines[3] == ""
    assert lines[4].startswith("— syndic/test-coalition ")
    assert open_checkpoint(note, NoteSigner(ORIGIN, KEY).verifier()) == cp


def test_checkpoint_signed_by_another_key_is_refused() -> None:
    note = sign_checkpoint(_cp(), Ed25519PrivateKey.from_private_bytes(b"\x08" * 32))
    with pytest.raises(VerificationError, match="not signed by a trusted key"):
        open_checkpoint(note, NoteSigner(ORIGIN, KEY).verifier())


def test_checkpoint_of_another_log_is_refused() -> None:
    other = Checkpoint("syndic/other", 5, _cp().root)
    note = sign_checkpoint(other, KEY)
    with pytest.raises(VerificationError, match="from log 'syndic/other'"):
        open_checkpoint(note, NoteSigner(ORIGIN, KEY).verifier())


def test_edited_size_is_refused() -> None:
    note = sign_checkpoint(_cp(), KEY).replace("\n5\n", "\n6\n", 1)
    with pytest.raises(VerificationError, match="does not verify"):
        open_checkpoint(note, NoteSigner(ORIGIN, KEY).verifier())


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("o\n5\n", "origin, size and root"),
        ("o\n05\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", "leading 0"),
        ("o\n-1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", "decimal"),
        ("o\n5\n47DEQpj8HBSa\n", "32 bytes"),
        ("o\n5\n47DEQpj8*BSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", "base64"),
        ("o\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "newline"),
        ("o\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n", "extension"),
        ("o o\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", "key name"),
    ],
)
def test_malformed_bodies_are_refused(text: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        Checkpoint.parse_body(text)


def test_log_origin_is_a_valid_key_name() -> None:
    assert log_origin("  The Writers' Guild + Friends ") == "syndic/the-writers-guild-friends"
    with pytest.raises(InvalidInput, match="empty"):
        log_origin("!!!")

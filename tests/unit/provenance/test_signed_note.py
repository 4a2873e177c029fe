"""C2SP signed notes: the spec's example verifies, and every malformed or forged note is refused."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from syndic.errors import InvalidInput, VerificationError
from syndic.keys import public_raw
from syndic.provenance.note import (
    NoteSigner,
    key_id,
    open_note,
    parse_note,
    parse_verifier_key,
    sign_note,
)

from .prov_shared import VECTORS

NOTE_DIR = VECTORS / "signed-note"


def _key(seed: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)


def test_spec_example_verifies() -> None:
    verifier = parse_verifier_key((NOTE_DIR / "verifier-key.txt").read_text())
    assert verifier.name == "example.com/foo"
    assert verifier.key_id == bytes.fromhex("530d903a")
    assert key_id("example.com/foo", public_raw(verifier.public_key)) == verifier.key_id
    note = open_note((NOTE_DIR / "note.txt").read_bytes(), [verifier])
    assert note.text == "This is an example message.\n"
    assert str(verifier) == (NOTE_DIR / "verifier-key.txt").read_text().strip()


def test_spec_example_with_edited_text_is_refused() -> None:
    verifier = parse_verifier_key((NOTE_DIR / "verifier-key.txt").read_text())
    data = (NOTE_DIR / "note.txt").read_text().replace("example message", "exemplary message")
    with pytest.raises(VerificationError, match="does not verify"):
        open_note(data, [verifier])


def test_sign_then_open_round_trip_and_unknown_signers_are_ignored() -> None:
    a, b = NoteSigner("a.example/log", _key(1)), NoteSigner("b.example/w", _key(2))
    note = sign_note("hello\n\nworld\n", [a, b])
    text = str(note)
    assert text.startswith("hello\n\nworld\n\n— a.example/log ")
    assert open_note(text, [a.verifier()]).text == "hello\n\nworld\n"
    assert parse_note(text) == note


def test_note_without_a_trusted_signature_is_refused() -> None:
    note = str(sign_note("x\n", [NoteSigner("a.example/log", _key(1))]))
    stranger = NoteSigner("a.example/log", _key(9)).verifier()  # same name, different key and ID
    with pytest.raises(VerificationError, match="not signed by a trusted key"):
        open_note(note, [stranger])


def test_failed_signature_by_known_key_rejects_note() -> None:
    signer = NoteSigner("a.example/log", _key(1))
    good = sign_note("x\n", [signer, NoteSigner("b.example/w", _key(2))])
    bad_sig = good.signatures[0].signature[:-1] + bytes([good.signatures[0].signature[-1] ^ 1])
    forged = str(good).replace(
        base64.b64encode(signer.key_id + good.signatures[0].signature).decode(),
        base64.b64encode(signer.key_id + bad_sig).decode(),
    )
    with pytest.raises(VerificationError, match=r"a\.example/log does not verify"):
        open_note(forged, [signer.verifier()])


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\xff\xfe\n\n\xe2\x80\x94 a AAAA\n", "UTF-8"),
        ("text\n— a AAAAAAA=\n", "no blank line"),
        ("text\n\n— a AAAAAAA=", "end with a newline"),
        ("text\n\n- a AAAAAAA=\n", "em dash"),
        ("text\n\n— a+b AAAAAAA=\n", "key name"),
        ("text\n\n—  AAAAAAA=\n", "key name"),
        ("text\n\n— a not*base64\n", "not base64"),
        ("text\n\n— a AAAA\n", "too short"),
        ("te\x07xt\n\n— a AAAAAAA=\n", "control character"),
    ],
)
def test_malformed_notes_are_refused(data: bytes | str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        parse_note(data)


def test_too_many_signatures_refused() -> None:
    line = "— a " + base64.b64encode(b"\x00" * 68).decode() + "\n"
    with pytest.raises(InvalidInput, match="more than"):
        parse_note("t\n\n" + line * 65)


@pytest.mark.parametrize(
    ("vkey", "reason"),
    [
        ("example.com/foo+530d903a", "name\\+keyid"),
        ("example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "does not match"),
        ("example.com/foo+530d90+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "8 hex"),
        ("example.com/foo+530d903a+AukyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "Ed25519"),
        ("example.com/foo+zz0d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "malformed"),
    ],
)
def test_malformed_verifier_keys_are_refused(vkey: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        parse_verifier_key(vkey)


def test_signing_refuses_text_without_final_newline() -> None:
    with pytest.raises(InvalidInput, match="newline"):
        sign_note("x", [NoteSigner("a", _key(1))])
    with pytest.raises(InvalidInput, match="at least one"):
        sign_note("x\n", [])


def test_verifier_key_whose_base64_contains_plus_round_trips() -> None:
    keys = (NoteSigner("n.example/log", _key(seed)).verifier() for seed in range(256))
    v = next(v for v in keys if "+" in str(v).split("+", 2)[2])
    again = parse_verifier_key(str(v))
    assert (again.name, again.key_id) == (v.name, v.key_id)

"""Signed notes, checkpoints and cosignatures against the C2SP specs' own examples."""

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hdh_tlog.checkpoint import Checkpoint
from hdh_tlog.note import (
    COSIGNATURE_V1,
    ED25519,
    Note,
    NoteError,
    VerifierKey,
    format_note,
    parse_note,
)
from hdh_tlog.signatures import SignatureError, cosign, sign_note, verify, verify_note

# c2sp.org/signed-note, "Example"
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n— example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)


def raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def test_the_spec_example_verifies() -> None:
    key = VerifierKey.parse(SPEC_VKEY)
    assert str(key) == SPEC_VKEY and key.signature_type == ED25519
    note = parse_note(SPEC_NOTE)
    assert note.text == "This is an example message.\n"
    [verified] = verify_note(note, [key])
    assert verified.key == key and verified.timestamp is None
    assert note.render() == SPEC_NOTE
    tampered = parse_note(SPEC_NOTE.replace("an example", "a forged"))
    with pytest.raises(SignatureError):
        verify_note(tampered, [key])


def test_unknown_keys_are_ignored_but_one_is_needed() -> None:
    other = Ed25519PrivateKey.generate()
    same_name = VerifierKey("example.com/foo", ED25519, raw(other))
    with pytest.raises(SignatureError, match="no signature by a known key"):
        verify_note(parse_note(SPEC_NOTE), [same_name])


@pytest.mark.parametrize(
    "text",
    [
        "no blank line\n— a AAAAAAA=\n",
        "text\n\n— a\n",
        "text\n\n- a AAAAAAAA\n",
        "text\n\n— a AAAA\n",
        "text\n\n— a AAAAAAAA",
        "te\x01xt\n\n— a AAAAAAAA\n",
        "text\n\n— a+b AAAAAAAA\n",
    ],
)
def test_malformed_notes(text: str) -> None:
    with pytest.raises(NoteError):
        parse_note(text)


@pytest.mark.parametrize(
    "vkey",
    [
        "example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        "example.com/foo+530d903a",
        "example.com/foo+530d903a+AqkyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        "example.com/foo+530d903a+!!",
    ],
)
def test_malformed_vkeys(vkey: str) -> None:
    with pytest.raises(NoteError):
        VerifierKey.parse(vkey)


def test_checkpoint_text() -> None:
    # c2sp.org/tlog-checkpoint's example body
    text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    checkpoint = Checkpoint.parse(text)
    assert (checkpoint.origin, checkpoint.size) == ("example.com/behind-the-sofa", 20852163)
    assert checkpoint.text() == text
    for bad in ("a\n01\n" + text.split("\n")[2] + "\n", "a\n1\nAAAA\n", "a\n1\n", "a\n\n1\nx\n"):
        with pytest.raises(NoteError):
            Checkpoint.parse(bad)


def test_log_signature_and_cosignature() -> None:
    log, witness = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    text = Checkpoint("log.example/a", 3, bytes(32)).text()
    signature = sign_note(log.sign, name="log.example/a", public_key=raw(log), text=text)
    cosignature = cosign(
        witness.sign, name="w.example/1", public_key=raw(witness), text=text, timestamp=1700000000
    )
    note = parse_note(format_note(text, [signature, cosignature]))
    log_key = VerifierKey("log.example/a", ED25519, raw(log))
    witness_key = VerifierKey("w.example/1", COSIGNATURE_V1, raw(witness))
    assert [v.timestamp for v in verify_note(note, [log_key, witness_key])] == [None, 1700000000]
    # cosignature/v1 signs "cosignature/v1\ntime <t>\n" + the note text
    message = f"cosignature/v1\ntime 1700000000\n{text}".encode()
    witness.public_key().verify(cosignature.data[8:], message)
    # the same key under the other signature type is another key
    assert VerifierKey("w.example/1", ED25519, raw(witness)).key_id != witness_key.key_id
    forged = Note(text.replace("\n3\n", "\n4\n"), note.signatures)
    with pytest.raises(SignatureError):
        verify(witness_key, forged.text, cosignature)
    assert base64.b64decode(cosignature.line().split()[-1])[:4] == witness_key.key_id.to_bytes(
        4, "big"
    )

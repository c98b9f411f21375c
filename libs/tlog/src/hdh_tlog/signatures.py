"""Ed25519 note signatures and cosignature/v1 (c2sp.org/tlog-cosignature), made and checked."""

import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hdh_tlog.note import COSIGNATURE_V1, ED25519, Note, NoteError, Signature, VerifierKey, key_id

MAX_TIMESTAMP = 2**63 - 1
Sign = Callable[[bytes], bytes]
"""Ed25519 signing of a message: the key stays wherever the caller keeps it."""


class SignatureError(NoteError):
    """A signature by a known key does not verify, or no known key signed."""


@dataclass(frozen=True)
class Verified:
    key: VerifierKey
    timestamp: int | None
    """Seconds since the epoch of a cosignature; ``None`` for a plain signature."""


def cosignature_message(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


def sign_note(sign: Sign, *, name: str, public_key: bytes, text: str) -> Signature:
    return Signature(name, key_id(name, ED25519, public_key), sign(text.encode()))


def cosign(sign: Sign, *, name: str, public_key: bytes, text: str, timestamp: int) -> Signature:
    if not 0 < timestamp <= MAX_TIMESTAMP:
        raise ValueError("a cosignature's timestamp is positive and below 2**63")
    signed = sign(cosignature_message(text, timestamp))
    return Signature(
        name, key_id(name, COSIGNATURE_V1, public_key), struct.pack(">Q", timestamp) + signed
    )


def verify(key: VerifierKey, text: str, signature: Signature) -> Verified:
    """Raises :class:`SignatureError` when ``signature`` (by ``key``) does not verify."""
    timestamp, message, data = None, text.encode(), signature.data
    if key.signature_type == COSIGNATURE_V1:
        if len(data) != 8 + 64:
            raise SignatureError(f"a cosignature by {key.name} has the wrong length")
        timestamp, data = struct.unpack(">Q", data[:8])[0], data[8:]
        message = cosignature_message(text, timestamp)
    try:
        Ed25519PublicKey.from_public_bytes(key.public_key).verify(data, message)
    except (InvalidSignature, ValueError) as exc:
        raise SignatureError(f"the signature by {key.name} does not verify") from exc
    return Verified(key, timestamp)


def verify_note(note: Note, keys: Iterable[VerifierKey]) -> list[Verified]:
    """The known keys' signatures, all verified; unknown ones ignored. Raises
    :class:`SignatureError` if one by a known key fails or none is by a known key."""
    known, verified = list(keys), []
    for signature in note.signatures:
        for key in known:
            if key.matches(signature):
                verified.append(verify(key, note.text, signature))
    if not verified:
        raise SignatureError("no signature by a known key")
    return verified

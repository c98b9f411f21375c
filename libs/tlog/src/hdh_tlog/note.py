"""Signed notes (c2sp.org/signed-note): text, a blank line, then signature lines
``— <key name> base64(key ID || signature)``; and verifier keys (vkeys)."""

import base64
import binascii
import hashlib
import struct
from collections.abc import Iterable
from dataclasses import dataclass

DASH = "\u2014"
ED25519 = 0x01
"""Signature type of a log's Ed25519 signature over the note text."""
COSIGNATURE_V1 = 0x04
"""Signature type of a timestamped Ed25519 cosignature (c2sp.org/tlog-cosignature)."""
MAX_SIGNATURES = 64


class NoteError(ValueError):
    """Not a well-formed signed note, signature line or verifier key."""


def key_id(name: str, signature_type: int, public_key: bytes) -> int:
    """``SHA-256(name || 0x0A || type || public key)[:4]``, big-endian."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([signature_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def check_key_name(name: str) -> str:
    if not name or "+" in name or any(c.isspace() for c in name):
        raise NoteError(f"bad key name {name!r}")
    return name


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: int
    data: bytes
    """The signature proper, after the 4-byte key ID."""

    def line(self) -> str:
        blob = struct.pack(">I", self.key_id) + self.data
        return f"{DASH} {self.name} {base64.b64encode(blob).decode()}\n"


@dataclass(frozen=True)
class Note:
    text: str
    """The signed text, final newline included."""
    signatures: tuple[Signature, ...]

    def render(self) -> str:
        return format_note(self.text, self.signatures)


def format_note(text: str, signatures: Iterable[Signature]) -> str:
    return text + "\n" + "".join(signature.line() for signature in signatures)


def parse_signature_line(line: str) -> Signature:
    """One line, without its newline."""
    prefix, _, rest = line.partition(" ")
    name, _, encoded = rest.partition(" ")
    if prefix != DASH or not encoded:
        raise NoteError("a signature line is '— <key name> <base64>'")
    try:
        blob = base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise NoteError("a signature is not valid base64") from exc
    if len(blob) < 5:
        raise NoteError("a signature is too short")
    return Signature(check_key_name(name), int.from_bytes(blob[:4], "big"), blob[4:])


def parse_signature_lines(text: str) -> list[Signature]:
    """Newline-terminated signature lines, e.g. a witness's answer."""
    if not text.endswith("\n"):
        raise NoteError("signature lines end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError("too many signatures")
    return [parse_signature_line(line) for line in lines]


def parse_note(data: bytes | str) -> Note:
    text = data.decode() if isinstance(data, bytes) else data
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise NoteError("a note holds no control character but newline")
    body, separator, signatures = text.rpartition("\n\n")
    if not separator or not body:
        raise NoteError("a note is text, a blank line, then signature lines")
    return Note(body + "\n", tuple(parse_signature_lines(signatures)))


@dataclass(frozen=True)
class VerifierKey:
    """``<name>+<hex key ID>+base64(type || public key)``."""

    name: str
    signature_type: int
    public_key: bytes

    @property
    def key_id(self) -> int:
        return key_id(self.name, self.signature_type, self.public_key)

    def __str__(self) -> str:
        material = base64.b64encode(bytes([self.signature_type]) + self.public_key).decode()
        return f"{self.name}+{self.key_id:08x}+{material}"

    @classmethod
    def parse(cls, vkey: str) -> "VerifierKey":
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3 or len(parts[1]) != 8:
            raise NoteError(f"a verifier key is '<name>+<key ID>+<key>', not {vkey!r}")
        try:
            material = base64.b64decode(parts[2], validate=True)
            expected = int(parts[1], 16)
        except (binascii.Error, ValueError) as exc:
            raise NoteError(f"bad verifier key {vkey!r}") from exc
        if len(material) != 33 or material[0] not in (ED25519, COSIGNATURE_V1):
            raise NoteError("only Ed25519 verifier keys (types 0x01 and 0x04) are supported")
        key = cls(check_key_name(parts[0]), material[0], material[1:])
        if key.key_id != expected:
            raise NoteError(f"the key ID of {vkey!r} does not match its key")
        return key

    def matches(self, signature: Signature) -> bool:
        return signature.name == self.name and signature.key_id == self.key_id

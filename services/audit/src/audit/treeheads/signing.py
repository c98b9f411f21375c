"""The Ed25519 key that signs tree heads: loaded from settings, or generated in dev."""

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from audit.config import Settings

ALGORITHM = "Ed25519"


class SigningKeyMissing(RuntimeError):
    """No signing key configured outside dev."""


@dataclass(frozen=True)
class Signer:
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_key)

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)


def key_id_of(public_key: bytes) -> str:
    """Hex of the first 16 bytes of SHA-256 of the raw public key."""
    return hashlib.sha256(public_key).digest()[:16].hex()


def public_key_from_base64(value: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(value))


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_signer(settings: Settings) -> Signer:
    configured = settings.audit_signing_key.get_secret_value()
    if configured:
        return Signer(_parse(configured.encode()))
    path = settings.audit_signing_key_file
    if path.exists():
        return Signer(_parse(path.read_bytes()))
    if settings.environment != "dev":
        raise SigningKeyMissing(
            "Set HDH_AUDIT_SIGNING_KEY or HDH_AUDIT_SIGNING_KEY_FILE (an Ed25519 PEM key)."
        )
    return Signer(_generate_into(path))


def _parse(pem: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyMissing("The audit signing key must be an Ed25519 private key.")
    return key


def _generate_into(path: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(private_key_pem(key))
    return key

"""The Ed25519 key that signs tree heads: in an HSM (PKCS#11, ``CKM_EDDSA``, the private key
never leaves the token), else loaded from settings, or generated in dev."""

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast

import pkcs11
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from audit.config import Settings
from hdh_common.hsm import Hsm, HsmError, ed25519_public_bytes, open_hsm

ALGORITHM = "Ed25519"


class SigningKeyMissing(RuntimeError):
    """No signing key configured outside dev."""


class Signer(Protocol):
    """What signs tree heads: an Ed25519 key, wherever it is kept."""

    @property
    def public_key(self) -> bytes:
        """The raw 32 bytes of the public key."""

    @property
    def key_id(self) -> str: ...

    def sign(self, message: bytes) -> bytes: ...


@dataclass(frozen=True)
class FileSigner:
    """A key held in process memory (``HDH_AUDIT_SIGNING_KEY`` or its file)."""

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


class HsmSigner:
    """A key pair in the HSM: the token signs (``CKM_EDDSA``); only the public half is read."""

    def __init__(self, hsm: Hsm, *, label: str) -> None:
        self.hsm = hsm
        self.label = label
        self._private = cast(pkcs11.SignMixin, hsm.private_key(label))
        self.public_key = ed25519_public_bytes(hsm.public_key(label))
        self.key_id = key_id_of(self.public_key)

    def __repr__(self) -> str:
        return f"HsmSigner(label={self.label!r}, key_id={self.key_id!r})"

    def sign(self, message: bytes) -> bytes:
        with self.hsm.lock:
            return bytes(self._private.sign(message, mechanism=pkcs11.Mechanism.EDDSA))

    def close(self) -> None:
        self.hsm.close()


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
    """The HSM's key pair when a module is configured, else the configured or filed key."""
    config = settings.hsm_config()
    if config is not None:
        hsm = open_hsm(config)
        try:
            return HsmSigner(hsm, label=settings.audit_signing_key_label)
        except HsmError as exc:
            hsm.close()
            raise SigningKeyMissing(
                f"No Ed25519 key pair labelled {settings.audit_signing_key_label!r} in the HSM;"
                " generate one with `hdh-audit-signing-key new`."
            ) from exc
    configured = settings.audit_signing_key.get_secret_value()
    if configured:
        return FileSigner(_parse(configured.encode()))
    path = settings.audit_signing_key_file
    if path.exists():
        return FileSigner(_parse(path.read_bytes()))
    if settings.environment != "dev":
        raise SigningKeyMissing(
            "Set HDH_AUDIT_SIGNING_KEY or HDH_AUDIT_SIGNING_KEY_FILE (an Ed25519 PEM key),"
            " or keep the key in an HSM (HDH_HSM_MODULE)."
        )
    return FileSigner(_generate_into(path))


def release_signer(signer: Signer) -> None:
    """Let go of the HSM's session, if the signer holds one."""
    if isinstance(signer, HsmSigner):
        signer.close()


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

"""Domain keys: random 256-bit keys sealed with AES-GCM under the master key.

The associated data binds a sealed key to its domain and version, so a sealed key copied
to another row does not open.
"""

import base64
import binascii
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr

KEY_BYTES = 32
NONCE_BYTES = 12


class MasterKeyError(Exception):
    """No usable master key (missing, malformed, or not the one that sealed a key)."""


class MasterKey:
    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise MasterKeyError("the master key must be 256 bits")
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "MasterKey(<hidden>)"

    def seal(self, key: bytes, *, domain: str, version: int) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, key, _aad(domain, version))

    def open(self, sealed: bytes, *, domain: str, version: int) -> bytes:
        try:
            return self._aead.decrypt(
                sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], _aad(domain, version)
            )
        except InvalidTag as exc:
            raise MasterKeyError("a domain key does not open with this master key") from exc


def new_domain_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def _aad(domain: str, version: int) -> bytes:
    return f"hdh-linkage-domain-key:{domain}:{version}".encode()


def load_master_key(configured: SecretStr, *, dev: bool, path: Path) -> MasterKey:
    """The configured master key; in dev only, one read from (or generated into) ``path``."""
    if text := configured.get_secret_value():
        return MasterKey(_decode(text))
    if not dev:
        raise MasterKeyError("HDH_LINKAGE_MASTER_KEY is required outside dev")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode())
    return MasterKey(_decode(path.read_text().strip()))


def _decode(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MasterKeyError("the master key is not valid base64") from exc

"""Domain keys: random 256-bit keys sealed with AES-GCM under a master key.

The associated data binds a sealed key to its domain and version, so a sealed key copied
to another row does not open. Each sealed key names the master key that sealed it (its key
id): the newest master key seals, any master key still held opens, so a new master key
version can re-seal every domain key while the old one still opens what it sealed.

Two kinds of master keys: a file key (``HDH_LINKAGE_MASTER_KEY``, the embedded default, key
id ``file``) and master keys in an HSM (``linkage.keys.hsm``), where sealing and opening run
inside the token. Either way the opened domain key comes back into the process: the HMAC
kernel hashes identifiers with it in memory; only the master key stays in the HSM.
"""

import base64
import binascii
import os
import secrets
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr

KEY_BYTES = 32
NONCE_BYTES = 12
FILE_KEY_ID = "file"


class MasterKeyError(Exception):
    """No usable master key (missing, malformed, or not the one that sealed a key)."""


class MasterKeyUnavailable(MasterKeyError):
    """The master key a domain key names is not held here (unknown, or retired)."""


@dataclass(frozen=True)
class Sealed:
    """A domain key sealed under the master key ``key_id``: nonce, then ciphertext and tag."""

    key_id: str
    blob: bytes

    def __repr__(self) -> str:
        return f"Sealed(key_id={self.key_id!r})"


class MasterKey(ABC):
    """The master keys this process holds: the newest seals, any of them opens."""

    @abstractmethod
    def newest(self) -> str:
        """The key id new domain keys are sealed under."""

    @abstractmethod
    def key_ids(self) -> list[str]:
        """Every master key held here, oldest first."""

    def add_version(self) -> str:
        """A new master key version, which seals from now on; returns its key id."""
        raise MasterKeyError("a file master key has no versions; keep master keys in an HSM")

    def destroy(self, key_id: str) -> None:
        raise MasterKeyError("a file master key is removed from the configuration, not here")

    def close(self) -> None:  # noqa: B027 (most master keys hold nothing to let go of)
        """Let go of what holds the keys (the HSM's session)."""

    @abstractmethod
    def _encrypt(self, key_id: str, nonce: bytes, data: bytes, aad: bytes) -> bytes: ...

    @abstractmethod
    def _decrypt(self, key_id: str, nonce: bytes, data: bytes, aad: bytes) -> bytes: ...

    def seal(self, key: bytes, *, domain: str, version: int, key_id: str | None = None) -> Sealed:
        key_id = key_id or self.newest()
        nonce = os.urandom(NONCE_BYTES)
        return Sealed(key_id, nonce + self._encrypt(key_id, nonce, key, _aad(domain, version)))

    def open(self, sealed: Sealed, *, domain: str, version: int) -> bytes:
        blob = sealed.blob
        return self._decrypt(
            sealed.key_id, blob[:NONCE_BYTES], blob[NONCE_BYTES:], _aad(domain, version)
        )


class FileMasterKey(MasterKey):
    """One master key held in process memory, read from configuration or a file."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise MasterKeyError("the master key must be 256 bits")
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "FileMasterKey(<hidden>)"

    def newest(self) -> str:
        return FILE_KEY_ID

    def key_ids(self) -> list[str]:
        return [FILE_KEY_ID]

    def _encrypt(self, key_id: str, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        self._check(key_id)
        return self._aead.encrypt(nonce, data, aad)

    def _decrypt(self, key_id: str, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        self._check(key_id)
        try:
            return self._aead.decrypt(nonce, data, aad)
        except InvalidTag as exc:
            raise MasterKeyError("a domain key does not open with this master key") from exc

    def _check(self, key_id: str) -> None:
        if key_id != FILE_KEY_ID:
            raise MasterKeyUnavailable(f"master key {key_id!r} is not held here")


def new_domain_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def _aad(domain: str, version: int) -> bytes:
    return f"hdh-linkage-domain-key:{domain}:{version}".encode()


def load_master_key(configured: SecretStr, *, dev: bool, path: Path) -> FileMasterKey:
    """The configured master key; in dev only, one read from (or generated into) ``path``."""
    if text := configured.get_secret_value():
        return FileMasterKey(_decode(text))
    if not dev:
        raise MasterKeyError("HDH_LINKAGE_MASTER_KEY is required outside dev")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode())
    return FileMasterKey(_decode(path.read_text().strip()))


def _decode(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MasterKeyError("the master key is not valid base64") from exc

"""Master keys in an HSM: AES-256 keys that never leave the token, one per version.

Every version carries the configured label and its version number as ``CKA_ID``; its key id
is ``hsm:<label>:<version>``. Domain keys are sealed and opened by AES-GCM inside the token.
The newest version seals; an older one opens what it sealed until it is retired (destroyed
in the token, once nothing names it).
"""

from typing import cast

import pkcs11
from pkcs11 import Attribute, GCMParams, Mechanism

from hdh_common.hsm import Hsm, generate_aes_key
from linkage.keys.crypto import FILE_KEY_ID, FileMasterKey, MasterKey, MasterKeyError
from linkage.keys.crypto import MasterKeyUnavailable as Unavailable

PREFIX = "hsm:"


class HsmMasterKey(MasterKey):
    """The versions of the labelled master key in the token; ``legacy`` opens rows sealed by
    the file key before the move to the HSM, until they are re-sealed and it is retired."""

    def __init__(self, hsm: Hsm, *, label: str, legacy: FileMasterKey | None = None) -> None:
        self.hsm = hsm
        self.label = label
        self.legacy = legacy
        self._handles: dict[str, pkcs11.SecretKey] = {}

    def __repr__(self) -> str:
        return f"HsmMasterKey(label={self.label!r})"

    def versions(self) -> dict[int, pkcs11.SecretKey]:
        found: dict[int, pkcs11.SecretKey] = {}
        for key in self.hsm.secret_keys(self.label):
            identifier = bytes(key[Attribute.ID])
            if identifier.isdigit():
                found[int(identifier)] = key
        return found

    def key_ids(self) -> list[str]:
        held = [self.key_id(v) for v in sorted(self.versions())]
        return [FILE_KEY_ID, *held] if self.legacy else held

    def key_id(self, version: int) -> str:
        return f"{PREFIX}{self.label}:{version}"

    def newest(self) -> str:
        versions = self.versions()
        if not versions:
            raise MasterKeyError(
                f"no master key labelled {self.label!r} in the HSM; create one with "
                "`hdh-linkage-master new`"
            )
        return self.key_id(max(versions))

    def add_version(self) -> str:
        """A new version generated in the token, non-extractable: it seals from now on."""
        version = max(self.versions(), default=0) + 1
        generate_aes_key(self.hsm, label=self.label, key_id=str(version).encode())
        return self.key_id(version)

    def destroy(self, key_id: str) -> None:
        if key_id == FILE_KEY_ID:
            self.legacy = None
            return
        key = self._handle(key_id)
        with self.hsm.lock:
            key.destroy()
        self._handles.pop(key_id, None)

    def close(self) -> None:
        self.hsm.close()

    def _encrypt(self, key_id: str, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        if key_id == FILE_KEY_ID:
            raise MasterKeyError("new domain keys are sealed in the HSM, not by the file key")
        key = cast(pkcs11.EncryptMixin, self._handle(key_id))
        with self.hsm.lock:
            sealed = key.encrypt(
                data, mechanism=Mechanism.AES_GCM, mechanism_param=_gcm(nonce, aad)
            )
        assert isinstance(sealed, bytes)
        return sealed

    def _decrypt(self, key_id: str, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        if key_id == FILE_KEY_ID and self.legacy is not None:
            return self.legacy._decrypt(key_id, nonce, data, aad)
        key = cast(pkcs11.DecryptMixin, self._handle(key_id))
        try:
            with self.hsm.lock:
                opened = key.decrypt(
                    data, mechanism=Mechanism.AES_GCM, mechanism_param=_gcm(nonce, aad)
                )
            assert isinstance(opened, bytes)
            return opened
        except (pkcs11.ObjectHandleInvalid, pkcs11.KeyHandleInvalid) as exc:
            self._handles.pop(key_id, None)
            raise Unavailable(f"master key {key_id!r} is no longer in the HSM") from exc
        except pkcs11.PKCS11Error as exc:
            raise MasterKeyError("a domain key does not open with this master key") from exc

    def _handle(self, key_id: str) -> pkcs11.SecretKey:
        if key_id in self._handles:
            return self._handles[key_id]
        label, _, version = key_id.removeprefix(PREFIX).rpartition(":")
        if not key_id.startswith(PREFIX) or label != self.label or not version.isdigit():
            raise Unavailable(f"master key {key_id!r} is not held here")
        key = self.versions().get(int(version))
        if key is None:
            raise Unavailable(f"master key {key_id!r} is not in the HSM (retired?)")
        self._handles[key_id] = key
        return key


def _gcm(nonce: bytes, aad: bytes) -> GCMParams:
    return GCMParams(nonce, aad, 128)

"""A hardware security module through PKCS#11: one logged-in session per process.

The services keep their keys in the token and ask it to use them: nothing here reads a
private or secret value out of it. Keys are generated in the token as non-extractable and
sensitive (``generate_aes_key``, ``generate_ed25519``), by the operator's commands and by the
tests (SoftHSM2).
"""

import threading
from dataclasses import dataclass
from pathlib import Path

import pkcs11
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pydantic import SecretStr

ED25519_PARAMS = bytes.fromhex("06032b6570")
"""``CKA_EC_PARAMS`` of Ed25519: the DER of its object identifier, 1.3.101.112."""
NON_EXTRACTABLE = {Attribute.EXTRACTABLE: False, Attribute.SENSITIVE: True}


class HsmError(RuntimeError):
    """The module, the token or a key cannot be used (missing, wrong PIN, refused)."""


@dataclass(frozen=True)
class HsmConfig:
    module: Path
    pin: SecretStr
    token_label: str = ""
    slot: int | None = None

    def __repr__(self) -> str:
        return f"HsmConfig(module={str(self.module)!r}, token={self.token_label or self.slot!r})"


def read_pin(pin: SecretStr, pin_file: Path | None) -> SecretStr:
    """The PIN given as a secret, else the first line of ``pin_file``."""
    if pin.get_secret_value() or pin_file is None:
        return pin
    try:
        return SecretStr(pin_file.read_text().strip())
    except OSError as exc:
        raise HsmError(f"the HSM PIN file {pin_file} cannot be read") from exc


class Hsm:
    """A session on one token; calls are serialised (a PKCS#11 session is not thread-safe).

    The login belongs to the process, not the session (closing a logged-in session logs
    every other one out), so a process holds one session per token: ``open_hsm`` hands the
    same one to every user and closes it when the last lets go.
    """

    def __init__(self, session: pkcs11.Session, *, place: tuple[str, str, int | None]) -> None:
        self.session = session
        self.lock = threading.Lock()
        self.users = 1
        self._place = place

    def __repr__(self) -> str:
        return f"Hsm(token={self.session.token.label!r})"

    def secret_keys(self, label: str) -> list[pkcs11.SecretKey]:
        with self.lock:
            found = self.session.get_objects(
                {Attribute.CLASS: ObjectClass.SECRET_KEY, Attribute.LABEL: label}
            )
            return [key for key in found if isinstance(key, pkcs11.SecretKey)]

    def private_keys(self, label: str) -> list[pkcs11.PrivateKey]:
        with self.lock:
            found = self.session.get_objects(
                {Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.LABEL: label}
            )
            return [key for key in found if isinstance(key, pkcs11.PrivateKey)]

    def private_key(self, label: str) -> pkcs11.PrivateKey:
        key = self._one(ObjectClass.PRIVATE_KEY, label)
        assert isinstance(key, pkcs11.PrivateKey)
        return key

    def public_key(self, label: str) -> pkcs11.PublicKey:
        key = self._one(ObjectClass.PUBLIC_KEY, label)
        assert isinstance(key, pkcs11.PublicKey)
        return key

    def _one(self, kind: ObjectClass, label: str) -> pkcs11.Key:
        with self.lock:
            try:
                return self.session.get_key(kind, label=label)
            except (pkcs11.NoSuchKey, pkcs11.MultipleObjectsReturned) as exc:
                raise HsmError(f"no single {kind.name} labelled {label!r} in the HSM") from exc

    def close(self) -> None:
        with _OPEN_LOCK:
            self.users -= 1
            if self.users:
                return
            del _OPEN[self._place]
            with self.lock:
                self.session.close()


_OPEN: dict[tuple[str, str, int | None], Hsm] = {}
_OPEN_LOCK = threading.Lock()


def open_hsm(config: HsmConfig) -> Hsm:
    """The process's read-write session on the configured token, logged in as its user."""
    place = (str(config.module), config.token_label, config.slot)
    with _OPEN_LOCK:
        if place in _OPEN:
            _OPEN[place].users += 1
            return _OPEN[place]
        _OPEN[place] = Hsm(_login(config), place=place)
        return _OPEN[place]


def _login(config: HsmConfig) -> pkcs11.Session:
    try:
        library = pkcs11.lib(str(config.module))
        if config.slot is not None:
            token = next(s for s in library.get_slots() if s.slot_id == config.slot).get_token()
        else:
            token = library.get_token(token_label=config.token_label)
        return token.open(user_pin=config.pin.get_secret_value(), rw=True)
    except (pkcs11.PKCS11Error, StopIteration, RuntimeError) as exc:
        raise HsmError(f"cannot open a session on the HSM ({config!r}): {exc!r}") from exc


def generate_aes_key(hsm: Hsm, *, label: str, key_id: bytes) -> pkcs11.SecretKey:
    """A 256-bit AES key stored in the token, usable for encryption only, never readable."""
    with hsm.lock:
        return hsm.session.generate_key(
            KeyType.AES,
            256,
            label=label,
            id=key_id,
            store=True,
            capabilities=pkcs11.MechanismFlag.ENCRYPT | pkcs11.MechanismFlag.DECRYPT,
            template=NON_EXTRACTABLE,
        )


def generate_ed25519(hsm: Hsm, *, label: str) -> tuple[pkcs11.PublicKey, pkcs11.PrivateKey]:
    """An Ed25519 pair stored in the token; the private half signs and is never readable."""
    with hsm.lock:
        return hsm.session.generate_keypair(
            KeyType.EC_EDWARDS,
            mechanism=Mechanism.EC_EDWARDS_KEY_PAIR_GEN,
            store=True,
            label=label,
            public_template={Attribute.EC_PARAMS: ED25519_PARAMS},
            private_template=NON_EXTRACTABLE,
        )


def ed25519_public_bytes(key: pkcs11.PublicKey) -> bytes:
    """The raw 32 bytes of an Ed25519 public key (``CKA_EC_POINT`` is a DER OCTET STRING)."""
    point = bytes(key[Attribute.EC_POINT])
    if len(point) == 34 and point[:2] == b"\x04\x20":
        return point[2:]
    if len(point) == 32:
        return point
    raise HsmError("the HSM's public key is not an Ed25519 point")

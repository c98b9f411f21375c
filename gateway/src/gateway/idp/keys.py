"""The dev issuer's signing keys, in one JSON file: the newest signs; older ones stay
published until every token they signed has expired. A running issuer reloads the file
when it changes, so ``python -m gateway.idp rotate`` takes effect without a restart."""

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joserfc.jwk import RSAKey

ALGORITHM = "RS256"
KEY_FILE = "keys.json"


@dataclass(frozen=True)
class StoredKey:
    key: RSAKey
    created: float
    retired: float | None

    @property
    def kid(self) -> str:
        return str(self.key.kid)


class IssuerKeys:
    def __init__(self, directory: Path, *, token_ttl: int) -> None:
        self._path = directory / KEY_FILE
        self._token_ttl = token_ttl
        self._mtime: int | None = None
        self._keys: list[StoredKey] = []

    def signing_key(self) -> StoredKey:
        keys = self._load()
        if not keys:
            self.rotate()
            keys = self._load()
        return keys[-1]

    def public_jwks(self) -> dict[str, Any]:
        self.signing_key()
        now = time.time()
        live = [k for k in self._keys if k.retired is None or k.retired + self._token_ttl > now]
        return {"keys": [_public(k.key) for k in live]}

    def rotate(self, *, now: float | None = None) -> StoredKey:
        now = time.time() if now is None else now
        keys = [
            StoredKey(k.key, k.created, k.retired or now)
            for k in self._load()
            if k.retired is None or k.retired + self._token_ttl > now
        ]
        new = StoredKey(
            RSAKey.generate_key(2048, {"alg": ALGORITHM, "use": "sig"}, auto_kid=True), now, None
        )
        self._save([*keys, new])
        return new

    def _load(self) -> list[StoredKey]:
        try:
            mtime = self._path.stat().st_mtime_ns
        except FileNotFoundError:
            return []
        if mtime != self._mtime:
            entries = json.loads(self._path.read_text())["keys"]
            self._keys = [
                StoredKey(RSAKey.import_key(e["jwk"]), e["created"], e.get("retired"))
                for e in entries
            ]
            self._mtime = mtime
        return self._keys

    def _save(self, keys: list[StoredKey]) -> None:
        self._path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        body = {
            "keys": [
                {"jwk": k.key.as_dict(private=True), "created": k.created, "retired": k.retired}
                for k in keys
            ]
        }
        tmp = self._path.with_suffix(".tmp")
        descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            json.dump(body, file)
        tmp.replace(self._path)


def _public(key: RSAKey) -> dict[str, Any]:
    return key.as_dict(private=False) | {"alg": ALGORITHM, "use": "sig", "kid": key.kid}

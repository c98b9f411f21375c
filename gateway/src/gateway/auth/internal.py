"""The internal token, signed on the hot path: the same JWS as
:class:`hdh_common.identity.InternalTokenSigner` (Ed25519, same header and claims), built
without a generic JOSE layer; services verify it with ``InternalTokenVerifier``."""

import base64
import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from hdh_common.identity import ALGORITHM, Principal, token_claims

_HEADER = base64.urlsafe_b64encode(
    json.dumps({"alg": ALGORITHM, "typ": "JWT"}, separators=(",", ":")).encode()
).rstrip(b"=")


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


class InternalTokenMinter:
    def __init__(self, private_pem: str, *, issuer: str, ttl_seconds: int) -> None:
        key = load_pem_private_key(private_pem.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the internal token key must be an Ed25519 private key")
        self._key = key
        self.issuer = issuer
        self.ttl_seconds = ttl_seconds

    def sign(self, principal: Principal, *, audience: str, now: float | None = None) -> str:
        claims = token_claims(
            principal, issuer=self.issuer, audience=audience, ttl_seconds=self.ttl_seconds, now=now
        )
        signing_input = _HEADER + b"." + _b64(json.dumps(claims, separators=(",", ":")).encode())
        return (signing_input + b"." + _b64(self._key.sign(signing_input))).decode()

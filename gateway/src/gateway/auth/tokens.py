"""Access-token validation: one bearer token from the Authorization header, checked against the
issuer's cached keys, claims and lifetime; what the token says becomes a :class:`Principal`."""

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.util import urlsafe_b64decode
from starlette.datastructures import Headers

from gateway.auth.jwks import JwksCache
from gateway.auth.roles import RoleMapper
from hdh_common.errors import Unauthorized
from hdh_common.identity import Role

QUERY_TOKEN_PARAMS = frozenset({"access_token", "token", "id_token", "bearer"})
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA", "Ed25519"}
)
REFUSED_TYPES = frozenset({"id", "refresh", "offline", "logout"})
CACHE_SIZE = 10_000
CACHE_SECONDS = 60.0
ACCESS_TOKEN_HEADER_TYPES = frozenset({"jwt", "at+jwt", "application/at+jwt"})


@dataclass(frozen=True)
class TokenPolicy:
    issuer: str
    audience: str
    algorithms: frozenset[str]
    clock_skew: int
    max_lifetime: int


@dataclass(frozen=True)
class VerifiedToken:
    """What may be logged about a token: never the token itself."""

    subject: str
    client: str | None
    jti: str | None
    kid: str
    claims: Mapping[str, Any]
    roles: frozenset[Role]
    organisation: str | None


class TokenRefused(Unauthorized):
    def __init__(self, detail: str, *, kid: str | None = None) -> None:
        super().__init__(detail)
        self.kid = kid


def refuse_query_tokens(query_params: Mapping[str, str]) -> None:
    if QUERY_TOKEN_PARAMS & {key.lower() for key in query_params}:
        raise TokenRefused("Tokens are accepted only in the Authorization header.")


def bearer_token(headers: Headers, query_params: Mapping[str, str]) -> str:
    """The single bearer token of a request, from the Authorization header only."""
    refuse_query_tokens(query_params)
    values = headers.getlist("authorization")
    if not values:
        raise TokenRefused("A bearer token is required.")
    if len(values) > 1:
        raise TokenRefused("Exactly one Authorization header is accepted.")
    scheme, _, token = values[0].strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise TokenRefused("A bearer token is required.")
    if any(sep in token for sep in (" ", ",", "\t")):
        raise TokenRefused("Exactly one bearer token is accepted.")
    return token


class TokenValidator:
    def __init__(self, *, policy: TokenPolicy, jwks: JwksCache, roles: RoleMapper) -> None:
        self.policy = policy
        self.roles = roles
        self._jwks = jwks
        self._registry = jwt.JWTClaimsRegistry(
            leeway=policy.clock_skew,
            iss={"essential": True, "value": policy.issuer},
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
        )
        self._cache: dict[str, tuple[VerifiedToken, float]] = {}

    async def verify(self, token: str) -> VerifiedToken:
        """The verified token; a token already verified is remembered for at most a minute,
        never past its own expiry."""
        now = time.time()
        remembered = self._cache.get(token)
        if remembered is not None and remembered[1] > now:
            return remembered[0]
        verified = await self._verify(token)
        if len(self._cache) >= CACHE_SIZE:
            self._cache.pop(next(iter(self._cache)))
        expires = min(float(verified.claims["exp"]), now + CACHE_SECONDS)
        self._cache[token] = (verified, expires)
        return verified

    async def _verify(self, token: str) -> VerifiedToken:
        header = _header(token)
        alg, kid = header.get("alg"), header.get("kid")
        if not isinstance(alg, str) or alg not in self.policy.algorithms:
            raise TokenRefused("The token's algorithm is not accepted.")
        if not isinstance(kid, str) or not kid:
            raise TokenRefused("The token names no key.")
        key = await self._jwks.key(kid)
        if key is None:
            raise TokenRefused("The token is signed by an unknown key.", kid=kid)
        try:
            claims = jwt.decode(token, key, algorithms=[alg]).claims
        except (JoseError, ValueError, TypeError) as error:
            raise TokenRefused("The token's signature is invalid.", kid=kid) from error
        self._check(header, claims, kid=kid)
        return VerifiedToken(
            subject=str(claims["sub"]),
            client=_client(claims),
            jti=str(claims["jti"]) if "jti" in claims else None,
            kid=kid,
            claims=claims,
            roles=self.roles.roles(claims),
            organisation=self.roles.organisation(claims),
        )

    def _check(self, header: Mapping[str, Any], claims: Mapping[str, Any], *, kid: str) -> None:
        if _is_not_access_token(header, claims):
            raise TokenRefused(
                "Only access tokens are accepted (not ID or refresh tokens).", kid=kid
            )
        try:
            self._registry.validate(dict(claims))
        except (JoseError, ValueError, TypeError) as error:
            raise TokenRefused(
                f"The token's claims are invalid ({_reason(error)}).", kid=kid
            ) from error
        if self.policy.audience not in _audiences(claims):
            raise TokenRefused("The token is not meant for this API.", kid=kid)
        self._check_times(claims, kid=kid)

    def _check_times(self, claims: Mapping[str, Any], *, kid: str) -> None:
        iat, exp = claims["iat"], claims["exp"]
        if not isinstance(iat, int | float) or not isinstance(exp, int | float):
            raise TokenRefused("The token's times are not numbers.", kid=kid)
        if iat > time.time() + self.policy.clock_skew:
            raise TokenRefused("The token is issued in the future.", kid=kid)
        if exp - iat > self.policy.max_lifetime:
            raise TokenRefused("The token's lifetime is longer than allowed.", kid=kid)


def _header(token: str) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenRefused("The token is not a signed JWT.")
    try:
        header = json.loads(urlsafe_b64decode(parts[0].encode()))
    except (ValueError, TypeError) as error:
        raise TokenRefused("The token is not a signed JWT.") from error
    if not isinstance(header, dict):
        raise TokenRefused("The token is not a signed JWT.")
    return header


def _is_not_access_token(header: Mapping[str, Any], claims: Mapping[str, Any]) -> bool:
    header_type = header.get("typ")
    if isinstance(header_type, str) and header_type.lower() not in ACCESS_TOKEN_HEADER_TYPES:
        return True
    token_type = claims.get("typ") or claims.get("token_use")
    if isinstance(token_type, str) and token_type.lower() in REFUSED_TYPES:
        return True
    return "at_hash" in claims or "c_hash" in claims


def _audiences(claims: Mapping[str, Any]) -> Sequence[str]:
    aud = claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    return [a for a in aud if isinstance(a, str)] if isinstance(aud, list) else []


def _client(claims: Mapping[str, Any]) -> str | None:
    client = claims.get("azp") or claims.get("client_id")
    return str(client) if client else None


def _reason(error: Exception) -> str:
    return getattr(error, "error", None) or type(error).__name__

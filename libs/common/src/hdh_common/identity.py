"""Internal tokens: short-lived JWTs meant for one service, and their verification.

Two issuers sign them, each with its own key: the gateway, for users and partner systems it
authenticated (never with the ``system`` role), and the services themselves, for what they
do on the platform's behalf (always and only the ``system`` role). Services accept nothing
else: a call that bypasses the gateway, carries a token meant for another service, or an
expired one, gets 401. No OIDC client can obtain a service identity: the gateway strips
``system`` from whatever a provider says, and only services hold the service key.
"""

import base64
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, Request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from hdh_common.errors import Forbidden, Unauthorized
from hdh_common.state import service_state

ALGORITHM = "Ed25519"
DEFAULT_TTL_SECONDS = 60
LEEWAY_SECONDS = 5
SERVICE_TOKEN_ISSUER = "hdh-service"


class Role(StrEnum):
    RESEARCHER = "researcher"
    PRODUCER = "producer"
    HUB_STAFF = "hub_staff"
    COMMITTEE_MEMBER = "committee_member"
    REGULATOR = "regulator"
    AUDITOR = "auditor"
    OUTPUT_CHECKER = "output_checker"
    """Hub staff trained to check outputs before they leave a project space."""
    PARTNER = "partner"
    """An external system (client credentials): reads what is published, follows the
    requests of its own organisation."""
    SYSTEM = "system"
    """An internal service acting on the platform's behalf; only service tokens carry it."""


EXTERNAL_ROLES = frozenset(Role) - {Role.SYSTEM}
"""What the gateway may put in a token: everything but the internal service identity."""


@dataclass(frozen=True)
class Principal:
    """Who is calling, as the gateway established it."""

    subject: str
    roles: frozenset[Role] = field(default_factory=frozenset)
    organisation: str | None = None
    request_id: str | None = None

    def has_any(self, *roles: Role) -> bool:
        return not self.roles.isdisjoint(roles)


def generate_private_key_pem() -> str:
    return OKPKey.generate_key("Ed25519").as_pem(private=True).decode()


def public_key_pem(private_pem: str) -> str:
    return OKPKey.import_key(private_pem).as_pem(private=False).decode()


def token_claims(
    principal: Principal,
    *,
    issuer: str,
    audience: str,
    ttl_seconds: int,
    now: float | None = None,
) -> dict[str, Any]:
    """The claims of an internal token, whoever signs it (the gateway or a service)."""
    issued = int(now if now is not None else time.time())
    return {
        "iss": issuer,
        "aud": audience,
        "sub": principal.subject,
        "iat": issued,
        "exp": issued + ttl_seconds,
        "roles": sorted(principal.roles),
        "org": principal.organisation,
        "rid": principal.request_id,
    }


class InternalTokenSigner:
    def __init__(
        self, private_pem: str, *, issuer: str, ttl_seconds: int = DEFAULT_TTL_SECONDS
    ) -> None:
        self._key = OKPKey.import_key(private_pem)
        self.issuer = issuer
        self.ttl_seconds = ttl_seconds

    def sign(self, principal: Principal, *, audience: str, now: float | None = None) -> str:
        claims = token_claims(
            principal, issuer=self.issuer, audience=audience, ttl_seconds=self.ttl_seconds, now=now
        )
        return jwt.encode(
            {"alg": ALGORITHM, "typ": "JWT"}, claims, self._key, algorithms=[ALGORITHM]
        )


class InternalTokenVerifier:
    """Verifies the gateway's tokens and, when a service key is configured, the services'.

    Each issuer has its own key and its own roles: a gateway token never carries ``system``,
    a service token carries nothing else.
    """

    def __init__(
        self, public_pem: str, *, issuer: str, audience: str, service_public_pem: str = ""
    ) -> None:
        self._issuers = {issuer: _Issuer(public_pem, issuer, audience, EXTERNAL_ROLES)}
        if service_public_pem:
            self._issuers[SERVICE_TOKEN_ISSUER] = _Issuer(
                service_public_pem, SERVICE_TOKEN_ISSUER, audience, frozenset({Role.SYSTEM})
            )

    def verify(self, token: str) -> Principal:
        issuer = self._issuers.get(_unverified_issuer(token) or "")
        if issuer is None:
            raise Unauthorized("The internal token is not from an issuer this service trusts.")
        return issuer.verify(token)


class _Issuer:
    def __init__(self, public_pem: str, issuer: str, audience: str, roles: frozenset[Role]) -> None:
        self._key = OKPKey.import_key(public_pem)
        self._roles = roles
        self._claims = jwt.JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
            sub={"essential": True},
        )

    def verify(self, token: str) -> Principal:
        try:
            decoded = jwt.decode(token, self._key, algorithms=[ALGORITHM])
            self._claims.validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise Unauthorized(
                "The internal token is invalid, expired or not meant for this service."
            ) from exc
        claims = decoded.claims
        named = {Role(r) for r in claims.get("roles", []) if r in Role._value2member_map_}
        return Principal(
            subject=str(claims["sub"]),
            roles=frozenset(named) & self._roles,
            organisation=claims.get("org"),
            request_id=claims.get("rid"),
        )


def _unverified_issuer(token: str) -> str | None:
    """The ``iss`` claim, only to pick the key that then verifies the whole token."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None
    issuer = claims.get("iss") if isinstance(claims, dict) else None
    return issuer if isinstance(issuer, str) else None


def service_principal(service: str) -> Principal:
    """The identity under which ``service`` acts on the platform's behalf."""
    return Principal(subject=f"hdh-{service}", roles=frozenset({Role.SYSTEM}))


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("A bearer token is required.")
    return token.strip()


async def get_principal(request: Request) -> Principal:
    return service_state(request).token_verifier.verify(_bearer(request))


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_roles(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency yielding the principal if it holds one of ``roles``, else 403."""

    async def dependency(principal: PrincipalDep) -> Principal:
        if not principal.has_any(*roles):
            raise Forbidden(f"This action needs one of the roles: {', '.join(sorted(roles))}.")
        return principal

    return dependency


HubStaff = Annotated[Principal, Depends(require_roles(Role.HUB_STAFF))]
Researcher = Annotated[Principal, Depends(require_roles(Role.RESEARCHER))]
Producer = Annotated[Principal, Depends(require_roles(Role.PRODUCER))]
CommitteeMember = Annotated[Principal, Depends(require_roles(Role.COMMITTEE_MEMBER))]
Regulator = Annotated[Principal, Depends(require_roles(Role.REGULATOR))]
Auditor = Annotated[Principal, Depends(require_roles(Role.AUDITOR))]
OutputChecker = Annotated[Principal, Depends(require_roles(Role.OUTPUT_CHECKER))]
System = Annotated[Principal, Depends(require_roles(Role.SYSTEM))]

"""The dev OIDC issuer: discovery, JWKS, and tokens for the demo accounts and clients.

Grants: client credentials (confidential clients), password and authorization code with
PKCE (S256) for the public web client. Codes live in memory for a minute.
"""

import base64
import hashlib
import hmac
import secrets
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from joserfc import jwt

from gateway.errors import OidcClientRefused, OidcError
from gateway.idp.accounts import WEB_CLIENT, Account, Client, check_client, check_password
from gateway.idp.keys import ALGORITHM, IssuerKeys

CODE_TTL = 60.0
SCOPES = "openid profile"


@dataclass(frozen=True)
class PendingCode:
    account: Account
    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str | None
    expires: float


class DevIssuer:
    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        keys: IssuerKeys,
        token_ttl: int,
        redirect_uris: frozenset[str],
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.keys = keys
        self.token_ttl = token_ttl
        self.redirect_uris = redirect_uris
        self._codes: dict[str, PendingCode] = {}

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "jwks_uri": f"{self.issuer}/jwks",
            "token_endpoint": f"{self.issuer}/token",
            "authorization_endpoint": f"{self.issuer}/authorize",
            "grant_types_supported": ["client_credentials", "password", "authorization_code"],
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
                "none",
            ],
            "id_token_signing_alg_values_supported": [ALGORITHM],
            "subject_types_supported": ["public"],
            "scopes_supported": SCOPES.split(),
        }

    def token(self, form: Mapping[str, str], *, authorization: str | None) -> dict[str, Any]:
        client = self._client(form, authorization)
        grant = form.get("grant_type")
        if grant == "client_credentials":
            return self._client_credentials(client)
        if grant == "password":
            return self._password(client, form)
        if grant == "authorization_code":
            return self._authorization_code(client, form)
        raise OidcError("unsupported_grant_type", f"Grant type {grant!r} is not supported.")

    def authorize(self, form: Mapping[str, str]) -> str:
        """The redirect URI carrying a fresh code, once the demo account's password checks."""
        client_id, redirect_uri = form.get("client_id", ""), form.get("redirect_uri", "")
        self.check_authorize_request(form)
        account = check_password(form.get("username", ""), form.get("password", ""))
        if account is None:
            raise OidcError("access_denied", "Unknown user or wrong password.")
        code = secrets.token_urlsafe(24)
        self._codes[code] = PendingCode(
            account,
            client_id,
            redirect_uri,
            form["code_challenge"],
            form.get("nonce"),
            time.time() + CODE_TTL,
        )
        separator = "&" if "?" in redirect_uri else "?"
        state = form.get("state")
        query = f"code={code}" + (f"&state={_quote(state)}" if state else "")
        return f"{redirect_uri}{separator}{query}"

    def check_authorize_request(self, form: Mapping[str, str]) -> None:
        if form.get("client_id") != WEB_CLIENT or form.get("response_type", "code") != "code":
            raise OidcError("unauthorized_client", "Only the web client may use the code grant.")
        if form.get("redirect_uri") not in self.redirect_uris:
            raise OidcError("invalid_request", "The redirect URI is not registered.")
        if form.get("code_challenge_method") != "S256" or not form.get("code_challenge"):
            raise OidcError("invalid_request", "PKCE with S256 is required.")

    def _client(self, form: Mapping[str, str], authorization: str | None) -> Client:
        client_id, secret = form.get("client_id", ""), form.get("client_secret")
        if authorization and authorization.lower().startswith("basic "):
            client_id, secret = _basic(authorization)
        client = check_client(client_id, secret)
        if client is None:
            raise OidcClientRefused("invalid_client", "Unknown client or wrong secret.")
        return client

    def _client_credentials(self, client: Client) -> dict[str, Any]:
        if client.public:
            raise OidcError("unauthorized_client", "A public client cannot use client credentials.")
        claims = {
            "sub": client.client_id,
            "roles": [r.value for r in client.roles],
            "organisation": client.organisation,
        }
        return self._response(client.client_id, claims, id_claims=None)

    def _password(self, client: Client, form: Mapping[str, str]) -> dict[str, Any]:
        if not client.public:
            raise OidcError("unauthorized_client", "The password grant is for the web client.")
        account = check_password(form.get("username", ""), form.get("password", ""))
        if account is None:
            raise OidcError("invalid_grant", "Unknown user or wrong password.")
        return self._account_response(client.client_id, account, nonce=None)

    def _authorization_code(self, client: Client, form: Mapping[str, str]) -> dict[str, Any]:
        pending = self._codes.pop(form.get("code", ""), None)
        if (
            pending is None
            or pending.expires < time.time()
            or pending.client_id != client.client_id
        ):
            raise OidcError("invalid_grant", "The code is unknown, used or expired.")
        if form.get("redirect_uri") != pending.redirect_uri:
            raise OidcError("invalid_grant", "The redirect URI differs from the authorization's.")
        if not hmac.compare_digest(_s256(form.get("code_verifier", "")), pending.challenge):
            raise OidcError("invalid_grant", "The PKCE verifier does not match the challenge.")
        return self._account_response(client.client_id, pending.account, nonce=pending.nonce)

    def _account_response(
        self, client_id: str, account: Account, *, nonce: str | None
    ) -> dict[str, Any]:
        profile = {
            "sub": account.username,
            "preferred_username": account.username,
            "name": account.name,
        }
        claims = profile | {
            "realm_access": {"roles": [account.role.value]},
            "roles": [account.role.value],
            "organisation": account.organisation,
        }
        id_claims = profile | ({"nonce": nonce} if nonce else {})
        return self._response(client_id, claims, id_claims=id_claims)

    def _response(
        self, client_id: str, claims: dict[str, Any], *, id_claims: dict[str, Any] | None
    ) -> dict[str, Any]:
        now = int(time.time())
        base = {
            "iss": self.issuer,
            "iat": now,
            "nbf": now,
            "exp": now + self.token_ttl,
            "azp": client_id,
        }
        access = (
            base
            | claims
            | {"aud": [self.audience], "jti": str(uuid.uuid4()), "typ": "Bearer", "scope": SCOPES}
        )
        body: dict[str, Any] = {
            "access_token": self._sign(access, typ="at+jwt"),
            "token_type": "Bearer",
            "expires_in": self.token_ttl,
            "scope": SCOPES,
        }
        if id_claims is not None:
            body["id_token"] = self._sign(
                base | id_claims | {"aud": client_id, "typ": "ID", "auth_time": now}, typ="JWT"
            )
        return body

    def _sign(self, claims: dict[str, Any], *, typ: str) -> str:
        key = self.keys.signing_key()
        header = {"alg": ALGORITHM, "kid": key.kid, "typ": typ}
        return jwt.encode(header, claims, key.key, algorithms=[ALGORITHM])


def _basic(authorization: str) -> tuple[str, str | None]:
    try:
        decoded = base64.b64decode(authorization.split(" ", 1)[1]).decode()
    except (ValueError, UnicodeDecodeError) as error:
        raise OidcClientRefused("invalid_client", "Malformed basic credentials.") from error
    client_id, _, secret = decoded.partition(":")
    return unquote(client_id), unquote(secret) or None


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _quote(value: str) -> str:
    return quote(value, safe="")

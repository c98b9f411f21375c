"""A gateway (dev issuer on) over HTTP in front of an echo catalogue."""

import contextlib
import functools
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import RSAKey

from gateway.config import Settings
from gateway.idp.keys import ALGORITHM, IssuerKeys
from gateway.main import create_app
from hdh_dev.processes import free_port
from hdh_dev.testing import serve_http

from .servers import Calls, echo_service

DEMO_PASSWORD_ACCOUNTS = ("alice", "bruno", "paul", "sara", "carl", "rita", "odile")


def closed_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


def gateway_settings(*, port: int, tmp: Path, private_key: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "dev",
        "dev_issuer": True,
        "public_url": f"http://127.0.0.1:{port}",
        "dev_issuer_key_dir": tmp / "idp",
        "request_log_spool_dir": tmp / "spool",
        "internal_token_private_key": private_key,
        "kafka_bootstrap_servers": f"127.0.0.1:{free_port()}",
        "catalog_url": closed_url(),
        "access_url": closed_url(),
        "linkage_url": closed_url(),
        "audit_url": closed_url(),
        "workspace_url": closed_url(),
        "jwks_min_refresh_interval": 1.0,
    }
    return Settings(**(values | overrides))


@dataclass
class Stack:
    """A gateway (dev issuer on) over HTTP in front of an echo ``catalog``."""

    url: str
    client: httpx.AsyncClient
    calls: Calls
    settings: Settings

    @functools.cached_property
    def keys(self) -> IssuerKeys:
        return IssuerKeys(self.settings.dev_issuer_key_dir, token_ttl=900)

    async def token(self, username: str) -> str:
        return (await self.tokens(username))["access_token"]

    async def tokens(self, username: str) -> dict[str, str]:
        response = await self.client.post(
            "/idp/token",
            data={
                "grant_type": "password",
                "client_id": "hdh-web",
                "username": username,
                "password": username,
            },
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def forge(
        self,
        *,
        key: RSAKey | None = None,
        header: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        stored = self.keys.signing_key()
        now = int(time.time())
        payload = {
            "iss": self.settings.issuer(),
            "aud": ["hdh-api"],
            "sub": "alice",
            "iat": now,
            "nbf": now,
            "exp": now + 300,
            "jti": str(uuid.uuid4()),
            "roles": ["researcher"],
        } | claims
        payload = {k: v for k, v in payload.items() if v is not None}
        head = {"alg": ALGORITHM, "kid": stored.kid, "typ": "at+jwt"} | (header or {})
        return jwt.encode(head, payload, key or stored.key, algorithms=[head["alg"]])


@contextlib.asynccontextmanager
async def gateway_stack(
    tmp: Path, *, private_key: str, public_key: str, **overrides: Any
) -> AsyncIterator[Stack]:
    """A gateway over HTTP (dev issuer on) in front of an echo catalogue, also over HTTP."""
    calls = Calls()
    async with serve_http(echo_service("catalog", public_key=public_key, calls=calls)) as echo:
        port = free_port()
        values = {"catalog_url": echo, "route_timeouts": {"/catalog/slow": 0.3}} | overrides
        settings = gateway_settings(port=port, tmp=tmp, private_key=private_key, **values)
        async with (
            serve_http(create_app(settings), port=port) as url,
            httpx.AsyncClient(base_url=url, timeout=30) as client,
        ):
            yield Stack(url=url, client=client, calls=calls, settings=settings)


StackFactory = Callable[..., AbstractAsyncContextManager[Stack]]

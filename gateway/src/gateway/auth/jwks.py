"""The issuer's signing keys: discovered, cached, refreshed on an unknown ``kid`` at most once
per interval, so a flood of forged tokens cannot hammer the issuer."""

import asyncio
import logging
import time
from typing import Any

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from prometheus_client import CollectorRegistry, Counter

from gateway.auth.keys import PublicKey

logger = logging.getLogger(__name__)
WELL_KNOWN = "/.well-known/openid-configuration"


class IssuerUnavailable(Exception):
    """The discovery document or the JWKS could not be fetched or read."""


class JwksMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.fetches = Counter(
            "gateway_jwks_fetches_total", "JWKS fetches by outcome.", ["outcome"], registry=registry
        )


class JwksCache:
    def __init__(
        self,
        *,
        client: httpx.AsyncClient,
        discovery_url: str,
        min_refresh_interval: float,
        max_age: float,
        metrics: JwksMetrics,
    ) -> None:
        self._client = client
        self._discovery_url = discovery_url
        self._min_interval = min_refresh_interval
        self._max_age = max_age
        self._metrics = metrics
        self._keys: dict[str, PublicKey] = {}
        self._jwks_uri: str | None = None
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> PublicKey | None:
        """The key named ``kid``; refreshes first when it is unknown or the cache is stale,
        unless the last attempt is more recent than the minimum interval."""
        if kid in self._keys and not self._stale():
            return self._keys[kid]
        async with self._lock:
            if (kid not in self._keys or self._stale()) and self._may_fetch():
                await self._refresh()
        return self._keys.get(kid)

    def _stale(self) -> bool:
        return self._fetched_at is None or time.monotonic() - self._fetched_at > self._max_age

    def _may_fetch(self) -> bool:
        last = self._attempted_at
        return last is None or time.monotonic() - last >= self._min_interval

    async def _refresh(self) -> None:
        self._attempted_at = time.monotonic()
        try:
            self._keys = await self._fetch()
        except IssuerUnavailable as error:
            self._metrics.fetches.labels("error").inc()
            logger.warning("jwks fetch failed", extra={"error": str(error)})
            return
        self._fetched_at = time.monotonic()
        self._metrics.fetches.labels("ok").inc()
        logger.info("jwks fetched", extra={"kids": sorted(self._keys)})

    async def _fetch(self) -> dict[str, PublicKey]:
        if self._jwks_uri is None:
            discovered = await self._get_json(self._discovery_url)
            self._jwks_uri = internal_jwks_uri(
                str(discovered.get("jwks_uri", "")),
                issuer=str(discovered.get("issuer", "")),
                discovery_url=self._discovery_url,
            )
        return _public_keys(await self._get_json(self._jwks_uri))

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = await self._client.get(url)
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise IssuerUnavailable(f"{url}: {error}") from error
        if not isinstance(body, dict):
            raise IssuerUnavailable(f"{url}: not a JSON object")
        return body


def internal_jwks_uri(jwks_uri: str, *, issuer: str, discovery_url: str) -> str:
    """``jwks_uri`` reached the way the discovery document was: an issuer known to users as
    ``http://localhost:8080/realms/hdh`` is fetched at ``http://keycloak:8080/realms/hdh``."""
    base = discovery_url.removesuffix(WELL_KNOWN)
    if issuer and base != issuer and jwks_uri.startswith(issuer):
        return base + jwks_uri.removeprefix(issuer)
    return jwks_uri


def _public_keys(jwks: dict[str, Any]) -> dict[str, PublicKey]:
    keys: dict[str, PublicKey] = {}
    for entry in jwks.get("keys", []):
        if not isinstance(entry, dict) or not entry.get("kid") or entry.get("use", "sig") != "sig":
            continue
        try:
            key = KeySet.import_key_set({"keys": [_public_part(entry)]}).keys[0]
        except (JoseError, ValueError, KeyError, TypeError):
            continue
        keys[str(entry["kid"])] = key  # type: ignore[assignment]
    return keys


_PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


def _public_part(entry: dict[str, Any]) -> dict[str, Any]:
    if entry.get("kty") not in {"RSA", "EC", "OKP"}:
        raise ValueError("only asymmetric keys verify access tokens")
    return {k: v for k, v in entry.items() if k not in _PRIVATE_MEMBERS | {"x5c", "x5u"}}

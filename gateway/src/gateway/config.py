import ipaddress
import ssl
from pathlib import Path
from typing import Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator

from gateway.clientaddress import ForwardingHeader
from hdh_common.settings import CommonSettings, KafkaSettings

SERVICES = ("catalog", "access", "linkage", "audit", "workspace")
MIB = 1024 * 1024
GIB = 1024 * MIB


PUBLIC_ROUTES = [
    "GET /access/register",
    "GET /access/workflow",
    # the open catalogue: published datasets, their dictionary, nomenclatures, search, DCAT
    "GET /catalog/datasets",
    "GET /catalog/datasets/{id}",
    "GET /catalog/datasets/{id}/tables",
    "GET /catalog/datasets/{id}/tables/{name}",
    "GET /catalog/datasets/{id}/tables/{name}/variables",
    "GET /catalog/datasets/{id}/graph",
    "GET /catalog/datasets/{id}/dcat",
    "GET /catalog/nomenclatures",
    "GET /catalog/nomenclatures/{name}",
    "GET /catalog/nomenclatures/{name}/codes",
    "GET /catalog/search",
    "GET /catalog/dcat",
]


class Settings(CommonSettings, KafkaSettings):
    port: int = Field(8000, description="Port the HTTP server listens on.")
    catalog_url: str = Field(
        "http://127.0.0.1:8001", description="Base URL of the catalogue service."
    )
    access_url: str = Field("http://127.0.0.1:8002", description="Base URL of the access service.")
    linkage_url: str = Field(
        "http://127.0.0.1:8003", description="Base URL of the linkage service."
    )
    audit_url: str = Field("http://127.0.0.1:8004", description="Base URL of the audit service.")
    workspace_url: str = Field(
        "http://127.0.0.1:8005", description="Base URL of the project space service."
    )
    upstream_ca_file: Path | None = Field(
        None,
        description="PEM bundle of the CAs that sign the services' certificates, for `https://`"
        " service URLs (empty: the system's CAs).",
    )
    internal_token_private_key: SecretStr = Field(
        SecretStr(""),
        description="PEM private key (Ed25519) the gateway signs internal tokens with.",
    )
    internal_token_ttl: int = Field(
        30, ge=1, le=60, description="Seconds an internal token lives (at most 60)."
    )
    readiness_timeout: float = Field(2.0, description="Seconds to wait for a service's `/readyz`.")
    readiness_cache_seconds: float = Field(
        2.0,
        ge=0,
        description="Seconds a `/readyz` result is reused; concurrent probes share one "
        "round of checks.",
    )
    openapi_cache_seconds: float = Field(
        60.0,
        ge=0,
        description="Seconds the aggregated `/openapi.json` is reused (the readiness delay "
        "when a service did not answer).",
    )
    public_url: str = Field(
        "http://localhost:8000", description="URL at which users reach the gateway."
    )
    oidc_issuer: str = Field(
        "",
        description="OIDC issuer URL (Keycloak realm); empty means the dev issuer "
        "(`<public URL>/idp`).",
    )
    oidc_discovery_url: str = Field(
        "",
        description="Where to fetch the issuer's discovery document, when not "
        "`<issuer>/.well-known/openid-configuration` (e.g. an in-cluster address).",
    )
    oidc_audience: str = Field("hdh-api", description="`aud` every access token must carry.")
    oidc_algorithms: list[str] = Field(
        ["RS256", "ES256", "EdDSA"], description="Signature algorithms accepted in tokens."
    )
    oidc_clock_skew: int = Field(
        30, ge=0, description="Seconds of clock skew allowed on `exp`, `nbf`, `iat`."
    )
    oidc_max_token_lifetime: int = Field(
        3600, ge=1, description="Longest accepted `exp - iat` of an access token, in seconds."
    )
    oidc_roles_claims: list[str] = Field(
        ["realm_access.roles", "roles"],
        description="Dotted claim paths holding role names (Keycloak's and a flat one).",
    )
    oidc_role_mapping: dict[str, str] = Field(
        {},
        description="Provider role name to platform role, for names that differ "
        '(JSON, e.g. `{"hdh-researcher": "researcher"}`).',
    )
    oidc_organisation_claim: str = Field(
        "organisation", description="Claim holding the caller's organisation."
    )
    jwks_min_refresh_interval: float = Field(
        10.0, description="Fewest seconds between two JWKS fetches caused by unknown `kid`s."
    )
    jwks_max_age: float = Field(
        300.0, description="Seconds after which the cached JWKS is refreshed anyway."
    )
    oidc_http_timeout: float = Field(
        5.0, description="Seconds to wait for the issuer's discovery document and JWKS."
    )
    dev_issuer: bool = Field(
        False, description="Serve the dev OIDC issuer at `/idp` (refused in production)."
    )
    dev_issuer_key_dir: Path = Field(
        Path(".hdh/idp"), description="Folder of the dev issuer's signing keys."
    )
    dev_issuer_redirect_uris: list[str] = Field(
        [],
        description="Redirect URIs of the web client, compared exactly, besides the API docs' "
        "(`<public URL>/docs/oauth2-redirect`), e.g. a local front end's callback (JSON list).",
    )
    dev_issuer_token_ttl: int = Field(
        900, ge=1, description="Seconds a dev issuer access token lives."
    )
    upstream_connect_timeout: float = Field(
        2.0, description="Seconds to open a connection to a service."
    )
    upstream_timeout: float = Field(
        30.0, description="Seconds to wait on a service between two reads or writes."
    )
    route_timeouts: dict[str, float] = Field(
        {
            "/catalog/datasets/*/uploads*": 600.0,
            "/catalog/projects/*/uploads*": 600.0,
            "/linkage/extracts*": 600.0,
        },
        description="Per-route read timeout in seconds, by path pattern (JSON, `*` wildcard).",
    )
    upstream_retries: int = Field(
        1, ge=0, description="Retries of idempotent requests whose connection failed."
    )
    max_body_bytes: int = Field(
        10 * MIB, description="Largest request body accepted by default, in bytes."
    )
    route_body_limits: dict[str, int] = Field(
        {
            "/catalog/datasets/*/uploads*": 50 * GIB,
            "/catalog/projects/*/uploads*": 50 * GIB,
            "/access/requests/*/documents*": 200 * MIB,
        },
        description="Per-route largest request body in bytes, by path pattern (JSON).",
    )
    rate_limit_ip_rate: float = Field(
        200.0, description="Requests per second refilled per client IP (0 turns it off)."
    )
    rate_limit_ip_burst: int = Field(400, description="Bucket size per client IP.")
    rate_limit_subject_rate: float = Field(
        100.0, description="Requests per second refilled per token subject (0 turns it off)."
    )
    rate_limit_subject_burst: int = Field(200, description="Bucket size per token subject.")
    rate_limit_probe_rate: float = Field(
        5.0,
        description="Requests per second refilled per client IP on `/readyz` and "
        "`/openapi.json` (0 turns it off).",
    )
    rate_limit_probe_burst: int = Field(
        20, description="Bucket size per client IP on `/readyz` and `/openapi.json`."
    )
    trusted_proxies: list[str] = Field(
        [],
        description="CIDRs of the proxies (ingress) whose forwarding header names the client "
        '(JSON, e.g. `["10.0.0.0/8"]`); empty: the peer is the client.',
    )
    forwarding_header: ForwardingHeader = Field(
        "x-forwarded-for",
        description="Header a trusted proxy names the client in: `x-forwarded-for` or "
        "`forwarded` (RFC 7239).",
    )
    cors_origins: list[str] = Field(
        [], description="Origins allowed by CORS (JSON list); empty turns CORS off."
    )
    hsts_max_age: int = Field(
        0, description="`Strict-Transport-Security` max-age in seconds (0: header not sent)."
    )
    gateway_instance: str = Field(
        "gateway-1", description="Name of this gateway instance: the key of its request log."
    )
    request_log_spool_dir: Path = Field(
        Path(".hdh/gateway-spool"),
        description="Folder of the on-disk spool where request-log events wait for the broker.",
    )
    request_log_spool_max_bytes: int = Field(
        256 * MIB, description="Largest size of the request-log spool on disk."
    )
    request_log_drain_seconds: float = Field(
        20.0,
        ge=0,
        description="Seconds the gateway spends at shutdown publishing what the request-log"
        " spool holds (below the termination grace period); the rest waits on disk.",
    )
    public_routes: list[str] = Field(
        PUBLIC_ROUTES,
        description="Routes served without a token (an anonymous caller) when none is sent: "
        "`[METHOD ]PATH`, where `{name}` in PATH is one segment and `*` anything; `GET` also "
        "admits `HEAD`, no method any.",
    )
    health_data_routes: list[str] = Field(
        ["/linkage/*", "/workspace/*", "/catalog/datasets/*/samples*"],
        description="Path patterns of routes returning health data: refused with 503 when the "
        "request log cannot take an entry.",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        for cidr in value:
            ipaddress.ip_network(cidr, strict=False)
        return value

    @field_validator("catalog_url", "access_url", "linkage_url", "audit_url", "workspace_url")
    @classmethod
    def _http_or_https(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("a service URL is http://host[:port] or https://host[:port]")
        return value

    @model_validator(mode="after")
    def _no_dev_issuer_in_production(self) -> Self:
        if self.dev_issuer and self.environment == "production":
            raise ValueError("the dev OIDC issuer is refused when HDH_ENVIRONMENT=production")
        return self

    def service_urls(self) -> dict[str, str]:
        return {name: getattr(self, f"{name}_url").rstrip("/") for name in SERVICES}

    def upstream_tls(self) -> ssl.SSLContext:
        """What verifies the services' certificates on ``https://`` URLs (a missing or
        unreadable CA file fails at start)."""
        return ssl.create_default_context(
            cafile=str(self.upstream_ca_file) if self.upstream_ca_file else None
        )

    def issuer(self) -> str:
        return (self.oidc_issuer or f"{self.public_url.rstrip('/')}/idp").rstrip("/")

    def discovery_url(self) -> str:
        return self.oidc_discovery_url or f"{self.issuer()}/.well-known/openid-configuration"

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from gateway import health, openapi, problems
from gateway.auth.internal import InternalTokenMinter
from gateway.auth.jwks import JwksCache, JwksMetrics
from gateway.auth.roles import RoleMapper
from gateway.auth.tokens import ASYMMETRIC_ALGORITHMS, TokenPolicy, TokenValidator
from gateway.clientaddress import TrustedProxies
from gateway.config import SERVICES, Settings
from gateway.idp import router as idp_router
from gateway.idp.issuer import DevIssuer
from gateway.idp.keys import IssuerKeys
from gateway.middleware import (
    ClientAddressMiddleware,
    Cors,
    IpRateLimitMiddleware,
    RequestLogMiddleware,
    SecurityHeadersMiddleware,
)
from gateway.proxy.routes import PublicRoutes, RouteRules
from gateway.proxy.service import Proxy
from gateway.proxy.upstream import UpstreamPool
from gateway.ratelimit import TokenBuckets
from gateway.requestlog.log import RequestLog, RequestLogMetrics
from gateway.requestlog.spool import Spool
from hdh_common.errors import install_error_handlers
from hdh_common.identity import generate_private_key_pem
from hdh_common.logs import configure_logging
from hdh_common.middleware import HttpMetrics, RequestContextMiddleware
from hdh_common.probes import Shared, metrics_registry
from hdh_common.tracing import Tracing

logger = logging.getLogger(__name__)
PROXY_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    registry = metrics_registry()
    tracing = Tracing("hdh-gateway", settings.otlp_endpoint)
    app = FastAPI(
        title="Health Data Hub",
        description="The public API of the Health Data Hub.",
        version="0.1.0",
        lifespan=_lifespan(settings, registry, tracing),
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        telemetry=tracing.fastapi(),
    )
    install_error_handlers(app)
    _add_middleware(app, settings, registry)
    app.include_router(health.router)
    app.include_router(openapi.router)
    app.include_router(problems.router)
    if settings.dev_issuer:
        app.include_router(idp_router.router)
    for service in SERVICES:
        _add_proxy_routes(app, service)

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app


def _add_middleware(app: FastAPI, settings: Settings, registry: CollectorRegistry) -> None:
    """Outermost last: every answer, refusals and unexpected errors included, gets the
    security headers, and CORS ones when they apply."""
    app.add_middleware(IpRateLimitMiddleware)
    app.add_middleware(RequestLogMiddleware)
    app.add_middleware(RequestContextMiddleware, metrics=HttpMetrics(registry))
    app.add_middleware(
        ClientAddressMiddleware,
        proxies=TrustedProxies(settings.trusted_proxies, header=settings.forwarding_header),
    )
    if settings.cors_origins:
        app.add_middleware(
            Cors,
            allow_origins=settings.cors_origins,
            allow_methods=PROXY_METHODS,
            allow_headers=["authorization", "content-type", "x-request-id", "x-correlation-id"],
            expose_headers=["x-request-id", "retry-after"],
            max_age=600,
        )
    app.add_middleware(SecurityHeadersMiddleware, hsts_max_age=settings.hsts_max_age)


def _add_proxy_routes(app: FastAPI, service: str) -> None:
    async def proxy(request: Request) -> Response:
        handler: Proxy = request.state.proxy
        return await handler.handle(request, service=service)

    # API routes, so that metrics, logs and traces name the route (`/access/{path:path}`)
    for path in (f"/{service}", f"/{service}/{{path:path}}"):
        app.add_api_route(path, proxy, methods=PROXY_METHODS, include_in_schema=False)


def _lifespan(settings: Settings, registry: CollectorRegistry, tracing: Tracing) -> Any:
    jwks_metrics = JwksMetrics(registry)
    log_metrics = RequestLogMetrics(registry)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        configure_logging("gateway", settings.log_level)
        spool = Spool(
            settings.request_log_spool_dir, max_bytes=settings.request_log_spool_max_bytes
        )
        request_log = RequestLog(
            spool=spool,
            bootstrap_servers=settings.kafka(),
            instance=settings.gateway_instance,
            metrics=log_metrics,
        )
        upstream_tls = settings.upstream_tls()
        request_log.start()
        async with (
            tracing.client(timeout=settings.readiness_timeout, verify=upstream_tls) as probe_client,
            tracing.client(timeout=settings.oidc_http_timeout) as oidc_client,
        ):
            upstream = UpstreamPool(tls=upstream_tls)
            try:
                yield {
                    "settings": settings,
                    "probe_client": probe_client,
                    "ip_limits": TokenBuckets(
                        rate=settings.rate_limit_ip_rate, burst=settings.rate_limit_ip_burst
                    ),
                    "probe_limits": TokenBuckets(
                        rate=settings.rate_limit_probe_rate, burst=settings.rate_limit_probe_burst
                    ),
                    "readiness": Shared[dict[str, str]](ttl=settings.readiness_cache_seconds),
                    "openapi": openapi.cache(settings),
                    "request_log": request_log,
                    "proxy": _proxy(
                        settings,
                        upstream=upstream,
                        oidc=oidc_client,
                        metrics=jwks_metrics,
                        request_log=request_log,
                    ),
                    "dev_issuer": _dev_issuer(settings) if settings.dev_issuer else None,
                    "openapi_client": probe_client,
                }
            finally:
                upstream.close()
                await request_log.close(timeout=settings.request_log_drain_seconds)
                spool.close()
                await asyncio.to_thread(tracing.shutdown)

    return lifespan


def _proxy(
    settings: Settings,
    *,
    upstream: UpstreamPool,
    oidc: httpx.AsyncClient,
    metrics: JwksMetrics,
    request_log: RequestLog,
) -> Proxy:
    jwks = JwksCache(
        client=oidc,
        discovery_url=settings.discovery_url(),
        min_refresh_interval=settings.jwks_min_refresh_interval,
        max_age=settings.jwks_max_age,
        metrics=metrics,
    )
    policy = TokenPolicy(
        issuer=settings.issuer(),
        audience=settings.oidc_audience,
        algorithms=frozenset(settings.oidc_algorithms) & ASYMMETRIC_ALGORITHMS,
        clock_skew=settings.oidc_clock_skew,
        max_lifetime=settings.oidc_max_token_lifetime,
    )
    roles = RoleMapper(
        claim_paths=settings.oidc_roles_claims,
        mapping=settings.oidc_role_mapping,
        organisation_claim=settings.oidc_organisation_claim,
    )
    return Proxy(
        pool=upstream,
        rules=RouteRules.from_settings(settings),
        validator=TokenValidator(policy=policy, jwks=jwks, roles=roles),
        signer=InternalTokenMinter(
            _signing_key(settings),
            issuer=settings.internal_token_issuer,
            ttl_seconds=settings.internal_token_ttl,
        ),
        subject_limits=TokenBuckets(
            rate=settings.rate_limit_subject_rate, burst=settings.rate_limit_subject_burst
        ),
        request_log=request_log,
        connect_timeout=settings.upstream_connect_timeout,
        retries=settings.upstream_retries,
        public_routes=PublicRoutes(settings.public_routes),
    )


def _dev_issuer(settings: Settings) -> DevIssuer:
    keys = IssuerKeys(settings.dev_issuer_key_dir, token_ttl=settings.dev_issuer_token_ttl)
    public = settings.public_url.rstrip("/")
    return DevIssuer(
        issuer=settings.issuer(),
        audience=settings.oidc_audience,
        keys=keys,
        token_ttl=settings.dev_issuer_token_ttl,
        redirect_uris=frozenset(
            [f"{public}{openapi.SWAGGER_REDIRECT}", *settings.dev_issuer_redirect_uris]
        ),
    )


def _signing_key(settings: Settings) -> str:
    configured = settings.internal_token_private_key.get_secret_value()
    if configured:
        return configured
    logger.warning("no HDH_INTERNAL_TOKEN_PRIVATE_KEY: internal tokens signed by a throwaway key")
    return generate_private_key_pem()

"""The gateway's ASGI middleware: client address, per-IP rate limit, security headers, CORS,
the request log."""

import time

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.clientaddress import TrustedProxies
from gateway.context import context_of
from gateway.errors import TooManyRequests
from gateway.proxy.routes import route_of, service_of
from gateway.ratelimit import TokenBuckets
from gateway.requestlog.log import RequestLog
from hdh_common.errors import BadRequest, problem_response
from hdh_common.logs import request_id_var

UNLOGGED = frozenset({"/healthz", "/readyz", "/metrics"})
UNLIMITED = frozenset({"/healthz", "/metrics"})
PROBED = frozenset({"/readyz", "/openapi.json"})
"""Unauthenticated routes that reach every service: a bucket of their own, smaller."""
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    # answers carry health data and tokens: no cache along the way keeps them
    (b"cache-control", b"no-store"),
]
API_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
PAGE_PREFIXES = ("/docs", "/idp/authorize")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts_max_age: int) -> None:
        self.app = app
        self.headers = list(SECURITY_HEADERS)
        if hsts_max_age > 0:
            self.headers.append(
                (
                    b"strict-transport-security",
                    f"max-age={hsts_max_age}; includeSubDomains".encode(),
                )
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.headers
        if not scope["path"].startswith(PAGE_PREFIXES):
            extra = [*extra, API_CSP]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((k, v) for k, v in extra if k not in present),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Cors(CORSMiddleware):
    """Starlette's CORS, with a refused preflight answered as a problem."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code == 200:
            return response
        detail = bytes(response.body).decode()
        problem = problem_response(BadRequest(f"{detail}."))
        problem.headers.update(
            {k: v for k, v in response.headers.items() if k.startswith(("access-control-", "vary"))}
        )
        return problem


class ClientAddressMiddleware:
    """Puts the client's address in ``scope["client"]``, forwarding headers read only from
    trusted proxies; the rate limit, the request log and the services see that one."""

    def __init__(self, app: ASGIApp, *, proxies: TrustedProxies) -> None:
        self.app = app
        self.proxies = proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] == "http" and client:
            address = self.proxies.client(client[0], scope["headers"])
            if address != client[0]:
                scope["client"] = (address, 0)
        await self.app(scope, receive, send)


class IpRateLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] not in UNLIMITED:
            client = scope.get("client")
            limits = "probe_limits" if scope["path"] in PROBED else "ip_limits"
            buckets: TokenBuckets = scope["state"][limits]
            wait = buckets.take(client[0] if client else "unknown")
            if wait is not None:
                error = TooManyRequests("Too many requests from this address.", retry_after=wait)
                await problem_response(error, instance=scope["path"])(scope, receive, send)
                return
        await self.app(scope, receive, send)


class RequestLogMiddleware:
    """Records every request (probes aside) once its response is sent or has failed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLOGGED:
            await self.app(scope, receive, send)
            return
        context = context_of(scope)
        status = 500
        started = time.perf_counter()

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            log: RequestLog | None = scope.get("state", {}).get("request_log")
            if log is not None:
                route = route_of(scope["path"])
                client = scope.get("client")
                log.record(
                    {
                        "request_id": request_id_var.get(),
                        "subject": context.subject,
                        "client": context.client,
                        "token_id": context.token_id,
                        "kid": context.kid,
                        "roles": context.roles,
                        "method": scope["method"],
                        "route": route.template,
                        "resource_type": route.resource_type,
                        "resource_id": route.resource_id,
                        "service": service_of(scope["path"]),
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                        "client_ip": client[0] if client else None,
                    },
                    actor=context.subject,
                )

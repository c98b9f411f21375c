"""ASGI middleware: request and correlation ids, the access log and HTTP metrics (the request's
server span is FastAPI's own instrumentation, which runs outside every middleware)."""

import logging
import secrets
import time
import traceback

from opentelemetry import trace
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hdh_common.errors import (
    AppError,
    InternalError,
    ServiceUnavailable,
    ValidationFailed,
    is_transient,
    is_unstorable_value,
    problem_response,
)
from hdh_common.logs import correlation_id_var, request_id_var
from hdh_common.redaction import redact

REQUEST_ID_HEADER = "x-request-id"
CORRELATION_ID_HEADER = "x-correlation-id"
_MAX_ID_LENGTH = 128
access_log = logging.getLogger("hdh.http")
logger = logging.getLogger(__name__)


def new_request_id() -> str:
    return secrets.token_hex(8)


def _clean_id(value: str | None) -> str | None:
    if value and len(value) <= _MAX_ID_LENGTH and value.isprintable():
        return value
    return None


class HttpMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "HTTP request duration.",
            ["method", "route"],
            registry=registry,
        )


class RequestContextMiddleware:
    """Gives each request an id (kept from ``X-Request-ID`` when sane), logs and measures it."""

    def __init__(self, app: ASGIApp, *, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        request_id = _clean_id(headers.get(REQUEST_ID_HEADER)) or new_request_id()
        correlation_id = _clean_id(headers.get(CORRELATION_ID_HEADER)) or request_id
        request_token = request_id_var.set(request_id)
        correlation_token = correlation_id_var.set(correlation_id)
        status = 500
        response_started = False
        started = time.perf_counter()
        trace.get_current_span().set_attribute("hdh.request_id", request_id)

        async def send_with_ids(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message["headers"] = [
                    *message.get("headers", []),
                    (REQUEST_ID_HEADER.encode(), request_id.encode()),
                    (CORRELATION_ID_HEADER.encode(), correlation_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_ids)
        except Exception as exc:
            # Its text is whatever the failing code put in it: secret-shaped values are hidden.
            text = redact("".join(traceback.format_exception(exc)).rstrip())
            error: AppError
            if is_transient(exc):  # the database or the object store out of reach
                logger.warning("a dependency is unavailable", extra={"exception": text})
                error = ServiceUnavailable("A dependency of this service is unavailable.")
            elif is_unstorable_value(exc):  # rolled back with the request's transaction
                logger.info("a value the database refuses", extra={"exception": text})
                error = ValidationFailed(
                    "The request holds a value that cannot be stored (a NUL character, a"
                    " number or a date out of range)."
                )
            else:
                logger.error("unexpected error", extra={"exception": text})
                error = InternalError("An unexpected error occurred.")
            if response_started:
                raise
            response = problem_response(error, instance=scope["path"])
            await response(scope, receive, send_with_ids)
        finally:
            self._record(scope, status, time.perf_counter() - started)
            request_id_var.reset(request_token)
            correlation_id_var.reset(correlation_token)

    def _record(self, scope: Scope, status: int, elapsed: float) -> None:
        route: str = getattr(scope.get("route"), "path", "unmatched")
        method = scope["method"]
        self.metrics.requests.labels(method, route, str(status)).inc()
        self.metrics.duration.labels(method, route).observe(elapsed)
        access_log.info(
            "%s %s %s",
            method,
            scope["path"],
            status,
            extra={
                "method": method,
                "path": scope["path"],
                "route": route,
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
            },
        )

"""Forwarding one request to a service: both bodies streamed, the internal token minted."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

from starlette.background import BackgroundTask
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse

from gateway.errors import BadGateway, ClientClosedRequest, GatewayTimeout, ServiceDown
from gateway.proxy.upstream import (
    Timeouts,
    UpstreamConnectError,
    UpstreamError,
    UpstreamPool,
    UpstreamResponse,
    UpstreamTimeout,
)
from hdh_common.errors import PayloadTooLarge
from hdh_common.logs import correlation_id_var, request_id_var
from hdh_common.tracing import current_traceparent

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})
RETRY_DELAY = 0.05
BUFFERED_BYTES = 64 * 1024
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
    }
)
IDENTITY_HEADERS = frozenset(
    {
        "authorization",
        "cookie",
        "x-roles",
        "x-role",
        "x-remote-user",
        "remote-user",
        "x-principal",
        "x-organisation",
        "x-organization",
        "x-subject",
        "forwarded",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
        "x-real-ip",
        "x-request-id",
        "x-correlation-id",
        "traceparent",
        "tracestate",
    }
)
IDENTITY_PREFIXES = ("x-user", "x-forwarded-", "x-auth-", "x-internal-", "x-hdh-")
RESPONSE_DROPPED = HOP_BY_HOP | {"x-request-id", "x-correlation-id"}
# CORS is the gateway's policy alone: a service's own answer to it would bypass it.
RESPONSE_DROPPED_PREFIXES = ("access-control-",)


class BodyTooLarge(Exception):
    pass


@dataclass(frozen=True)
class Upstream:
    service: str
    url: str
    timeouts: Timeouts
    body_limit: int
    retries: int


def forwarded_headers(request: Request, *, internal_token: str) -> list[tuple[str, str]]:
    """The request's headers minus hop-by-hop and identity ones, plus the gateway's."""
    kept = [
        (name, value)
        for name, value in request.headers.items()
        if name not in HOP_BY_HOP
        and name not in IDENTITY_HEADERS
        and not name.startswith(IDENTITY_PREFIXES)
    ]
    client = request.client.host if request.client else ""
    traceparent = current_traceparent() or request.headers.get("traceparent")
    return [
        *kept,
        *([("traceparent", traceparent)] if traceparent else []),
        ("authorization", f"Bearer {internal_token}"),
        ("x-request-id", request_id_var.get() or ""),
        ("x-correlation-id", correlation_id_var.get() or ""),
        ("x-forwarded-for", client),
        ("x-forwarded-proto", request.url.scheme),
        ("x-forwarded-host", request.headers.get("host", "")),
    ]


def declared_length(request: Request) -> int | None:
    value = request.headers.get("content-length")
    return int(value) if value and value.isdigit() else None


def has_body(request: Request) -> bool:
    return "transfer-encoding" in request.headers or bool(declared_length(request))


async def _limited(request: Request, limit: int) -> AsyncIterator[bytes]:
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > limit:
            raise BodyTooLarge
        if chunk:
            yield chunk


async def forward(
    request: Request, *, pool: UpstreamPool, upstream: Upstream, internal_token: str
) -> Response:
    length = declared_length(request)
    if length is not None and length > upstream.body_limit:
        raise PayloadTooLarge(f"The body may not exceed {upstream.body_limit} bytes on this route.")
    body = _limited(request, upstream.body_limit) if has_body(request) else None
    retries = upstream.retries if request.method in IDEMPOTENT and body is None else 0
    response = await _send(
        pool,
        request.method,
        upstream,
        headers=forwarded_headers(request, internal_token=internal_token),
        body=body,
        length=length,
        retries=retries,
    )
    headers = [(k, v) for k, v in response.headers if _kept(k.decode("latin-1").lower())]
    if _small(response):
        return await _buffered(response, headers, service=upstream.service)
    streamed = StreamingResponse(
        response.body(), status_code=response.status, background=BackgroundTask(response.release)
    )
    streamed.raw_headers = headers
    return streamed


def _kept(name: str) -> bool:
    return name not in RESPONSE_DROPPED and not name.startswith(RESPONSE_DROPPED_PREFIXES)


def _small(response: UpstreamResponse) -> bool:
    length = response.header(b"content-length")
    return length is not None and length.isdigit() and int(length) <= BUFFERED_BYTES


async def _buffered(
    response: UpstreamResponse, headers: list[tuple[bytes, bytes]], *, service: str
) -> Response:
    try:
        body = await response.read()
    except UpstreamTimeout as error:
        raise GatewayTimeout(
            f"The {service} service did not finish its answer in time.", service=service
        ) from error
    except UpstreamError as error:
        raise BadGateway(f"The {service} service broke off its answer.", service=service) from error
    finally:
        await response.release()
    buffered = Response(body, status_code=response.status)
    buffered.raw_headers = headers
    return buffered


async def _send(
    pool: UpstreamPool,
    method: str,
    upstream: Upstream,
    *,
    headers: list[tuple[str, str]],
    body: AsyncIterator[bytes] | None,
    length: int | None,
    retries: int,
) -> UpstreamResponse:
    service = upstream.service
    for attempt in range(retries + 1):
        try:
            return await pool.send(
                method,
                upstream.url,
                headers=headers,
                body=body,
                content_length=length,
                timeouts=upstream.timeouts,
            )
        except ClientDisconnect as error:
            raise ClientClosedRequest("The client went away while sending the body.") from error
        except BodyTooLarge as error:
            raise PayloadTooLarge(
                f"The body may not exceed {upstream.body_limit} bytes on this route."
            ) from error
        except UpstreamConnectError as error:
            if attempt == retries:
                raise ServiceDown(
                    f"The {service} service is unreachable.", service=service
                ) from error
            await asyncio.sleep(RETRY_DELAY * (attempt + 1))
        except UpstreamTimeout as error:
            raise GatewayTimeout(
                f"The {service} service did not answer in time.", service=service
            ) from error
        except UpstreamError as error:
            raise BadGateway(f"The {service} service failed to answer.", service=service) from error
    raise AssertionError("unreachable")

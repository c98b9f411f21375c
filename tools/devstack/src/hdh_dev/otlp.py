"""An OTLP/HTTP trace receiver for tests: keeps every span the platform exports to it."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request, Response
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from hdh_dev.testing import eventually, serve_http

HTTPX_SCOPE = "opentelemetry.instrumentation.httpx"


@dataclass(frozen=True)
class ReceivedSpan:
    service: str
    scope: str
    name: str
    kind: int
    """OTLP's numbering: 1 internal, 2 server, 3 client, 4 producer, 5 consumer."""
    trace_id: str
    span_id: str
    parent_id: str
    attributes: dict[str, Any]
    resource: dict[str, Any]


def _values(attributes: Any) -> dict[str, Any]:
    return {a.key: _value(a) for a in attributes}


def _value(attribute: KeyValue) -> Any:
    value: AnyValue = attribute.value
    return getattr(value, value.WhichOneof("value") or "string_value")


def otlp_receiver(spans: list[ReceivedSpan]) -> FastAPI:
    """An OTLP/HTTP (protobuf) trace receiver appending every span it is sent to ``spans``."""
    app = FastAPI()

    @app.post("/v1/traces")
    async def traces(request: Request) -> Response:
        export = ExportTraceServiceRequest.FromString(await request.body())
        for resource_spans in export.resource_spans:
            resource = _values(resource_spans.resource.attributes)
            for scope in resource_spans.scope_spans:
                spans.extend(
                    ReceivedSpan(
                        service=resource["service.name"],
                        scope=scope.scope.name,
                        name=s.name,
                        kind=s.kind,
                        trace_id=s.trace_id.hex(),
                        span_id=s.span_id.hex(),
                        parent_id=s.parent_span_id.hex(),
                        attributes=_values(s.attributes),
                        resource=resource,
                    )
                    for s in scope.spans
                )
        return Response(status_code=200)

    return app


@asynccontextmanager
async def receiving_spans() -> AsyncIterator[tuple[str, list[ReceivedSpan]]]:
    """A receiver over real HTTP: its URL (an ``OTEL_EXPORTER_OTLP_ENDPOINT``) and its spans."""
    spans: list[ReceivedSpan] = []
    async with serve_http(otlp_receiver(spans)) as url:
        yield url, spans


async def http_calls(spans: list[ReceivedSpan], *, within: float = 10) -> list[ReceivedSpan]:
    """The spans of outgoing HTTP calls received, once there is one (export them as they end
    with ``OTEL_BSP_SCHEDULE_DELAY`` low)."""

    async def exported() -> bool:
        return any(s.scope == HTTPX_SCOPE for s in spans)

    await eventually(exported, within=within)
    return [s for s in spans if s.scope == HTTPX_SCOPE]

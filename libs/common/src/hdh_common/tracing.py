"""Traces across the platform (OpenTelemetry), exported by OTLP/HTTP when an endpoint is set.

Off by default: with no endpoint, nothing is recorded or exported. Each part has its own
provider (so several apps may share a process in tests) configured by the SDK from the
standard variables (``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES``,
``OTEL_TRACES_SAMPLER``, ``OTEL_EXPORTER_OTLP_HEADERS``, ``OTEL_BSP_*``...), and the standard
instrumentations bound to it: FastAPI's own (a server span per request, spans of its
dependencies, endpoint and serialisation), SQLAlchemy's (a client span per statement) and
httpx's (a client span per call). The trace context travels as W3C ``traceparent``: in the
HTTP header from the gateway to a service, and in the CloudEvents envelope from the request
that wrote an event to the consumer that applies it (the outbox publishes later, outside
the request, so the broker's own headers cannot carry it), so one trace spans gateway →
service → broker → consumer.
"""

from typing import Any
from urllib.parse import parse_qsl

import httpx
from fastapi.telemetry import TelemetryConfig
from opentelemetry import context, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.instrumentation.sqlalchemy.version import __version__ as sqlalchemy_version
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.resources import SERVICE_NAME, OTELResourceDetector, Resource
from opentelemetry.sdk.trace import Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from sqlalchemy.ext.asyncio import AsyncEngine

SpanKind = trace.SpanKind
_PROPAGATOR = TraceContextTextMapPropagator()
SQLALCHEMY_SCOPE = "opentelemetry.instrumentation.sqlalchemy"
URL_ATTRIBUTES = ("url.full", "http.url", "http.target")


class QueryValuesHidden(SpanProcessor):
    """A query string says what was asked (a search, a project, a pseudonym): the spans keep
    its parameters' names, never their values (the logs do not record it either)."""

    def on_start(self, span: Span, parent_context: context.Context | None = None) -> None:
        attributes = span.attributes or {}
        if query := attributes.get("url.query"):
            span.set_attribute("url.query", _hidden(str(query)))
        for key in URL_ATTRIBUTES:
            value = attributes.get(key)
            if isinstance(value, str) and "?" in value:
                base, query = value.split("?", 1)
                span.set_attribute(key, f"{base}?{_hidden(query)}")


def _hidden(query: str) -> str:
    return "&".join(f"{name}=REDACTED" for name, _ in parse_qsl(query, keep_blank_values=True))


class Tracing:
    """One part's traces: its provider, the tracer of its own spans (the outbox relay's and
    the consumers'), and the instrumentation of its engine and HTTP clients."""

    def __init__(self, service: str, endpoint: str) -> None:
        self.provider: TracerProvider | None = None
        self.tracer: trace.Tracer = trace.NoOpTracer()
        self._clients: list[httpx.AsyncClient] = []
        if endpoint:
            # the default name, unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES say otherwise
            resource = Resource.create({SERVICE_NAME: service}).merge(
                OTELResourceDetector().detect()
            )
            self.provider = TracerProvider(resource=resource)
            self.provider.add_span_processor(QueryValuesHidden())
            exporter = OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")
            self.provider.add_span_processor(BatchSpanProcessor(exporter))
            self.tracer = self.provider.get_tracer("hdh")

    @property
    def enabled(self) -> bool:
        return self.provider is not None

    def fastapi(self) -> TelemetryConfig:
        """FastAPI's native instrumentation, on this provider (traces only: metrics are
        Prometheus's, logs are the JSON lines)."""
        return {
            "tracing": self.enabled,
            "tracer_provider": self.provider,
            "metrics": False,
            "logs": False,
        }

    def instrument_engine(self, engine: AsyncEngine) -> None:
        """A client span per statement ``engine`` runs (PostgreSQL through asyncpg), child of
        the span in progress. Its listeners go with the engine."""
        if self.provider is None:
            return
        tracer = self.provider.get_tracer(SQLALCHEMY_SCOPE, sqlalchemy_version)
        connections = NoOpMeterProvider().get_meter(SQLALCHEMY_SCOPE)
        usage = connections.create_up_down_counter("db.client.connections")
        EngineTracer(tracer, engine.sync_engine, usage)  # type: ignore[no-untyped-call]

    def client(self, **options: Any) -> httpx.AsyncClient:
        """An HTTP client (``httpx.AsyncClient(**options)``) with a client span per call on
        this provider, its ``traceparent`` sent along; uninstrumented at :meth:`shutdown`, closed
        by its owner. Every outgoing client of the platform is made here. The spans record the
        method, URL (query values hidden), status and error type; never a body, and no header
        unless ``OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_*`` names it."""
        http = httpx.AsyncClient(**options)
        if self.provider is not None:
            HTTPXClientInstrumentor.instrument_client(http, tracer_provider=self.provider)
            self._clients.append(http)
        return http

    def shutdown(self) -> None:
        """Uninstrument the clients, export what is pending, then stop."""
        for client in self._clients:
            HTTPXClientInstrumentor.uninstrument_client(client)
        self._clients.clear()
        if self.provider is not None:
            self.provider.shutdown()


def current_traceparent() -> str | None:
    """The ``traceparent`` of the span in progress, if one is being recorded."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


def parent_context(traceparent: str | None) -> context.Context:
    """The context to start a span under, from a received ``traceparent`` (or a new trace)."""
    return _PROPAGATOR.extract({"traceparent": traceparent} if traceparent else {})

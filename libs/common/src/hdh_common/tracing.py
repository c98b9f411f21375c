"""Traces across the platform (OpenTelemetry), exported by OTLP when an endpoint is set.

Off by default: with no endpoint, every tracer is a no-op and nothing is exported. The
trace context travels as W3C ``traceparent``: in the HTTP header from the gateway to a
service, and in the CloudEvents envelope from the request that wrote an event to the
consumer that applies it, so one trace spans gateway → service → broker → consumer.
"""

from typing import Any

from opentelemetry import context, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

SpanKind = trace.SpanKind
_PROPAGATOR = TraceContextTextMapPropagator()
_SPAN = "hdh_span"
STATEMENT_CHARS = 2000


class Tracing:
    """One part's tracer (its own provider, so several apps may share a process in tests)."""

    def __init__(self, service: str, endpoint: str) -> None:
        self._provider: TracerProvider | None = None
        self.tracer: trace.Tracer = trace.NoOpTracer()
        if endpoint:
            self._provider = TracerProvider(resource=Resource.create({"service.name": service}))
            exporter = OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")
            self._provider.add_span_processor(
                BatchSpanProcessor(exporter, schedule_delay_millis=500)
            )
            self.tracer = self._provider.get_tracer("hdh")

    @property
    def enabled(self) -> bool:
        return self._provider is not None

    def shutdown(self) -> None:
        """Export what is pending, then stop."""
        if self._provider is not None:
            self._provider.shutdown()


def current_traceparent() -> str | None:
    """The ``traceparent`` of the span in progress, if one is being recorded."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


def parent_context(traceparent: str | None) -> context.Context:
    """The context to start a span under, from a received ``traceparent`` (or a new trace)."""
    return _PROPAGATOR.extract({"traceparent": traceparent} if traceparent else {})


def instrument_engine(engine: AsyncEngine, tracer: trace.Tracer) -> None:
    """A client span per statement ``engine`` runs (PostgreSQL through asyncpg), child of the
    span in progress: what the request or consumer waited on in the database."""
    sync_engine = engine.sync_engine
    url = engine.url
    attributes: dict[str, str | int] = {
        "db.system.name": "postgresql",
        "db.namespace": url.database or "",
        "server.address": url.host or "",
        "server.port": url.port or 5432,
    }

    def before(conn: Any, cursor: Any, statement: str, params: Any, ctx: Any, many: bool) -> None:
        operation = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL"
        span = tracer.start_span(
            operation,
            kind=SpanKind.CLIENT,
            attributes=attributes
            | {"db.operation.name": operation, "db.query.text": statement[:STATEMENT_CHARS]},
        )
        setattr(ctx, _SPAN, span)

    def after(conn: Any, cursor: Any, statement: str, params: Any, ctx: Any, many: bool) -> None:
        span = getattr(ctx, _SPAN, None)
        if span is not None:
            span.end()

    def failed(exception_context: Any) -> None:
        span = getattr(exception_context.execution_context, _SPAN, None)
        if span is not None:
            span.record_exception(exception_context.original_exception)
            span.set_status(trace.Status(trace.StatusCode.ERROR))
            span.end()

    event.listen(sync_engine, "before_cursor_execute", before)
    event.listen(sync_engine, "after_cursor_execute", after)
    event.listen(sync_engine, "handle_error", failed)

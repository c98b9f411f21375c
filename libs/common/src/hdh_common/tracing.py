"""Traces across the platform (OpenTelemetry), exported by OTLP when an endpoint is set.

Off by default: with no endpoint, every tracer is a no-op and nothing is exported. The
trace context travels as W3C ``traceparent``: in the HTTP header from the gateway to a
service, and in the CloudEvents envelope from the request that wrote an event to the
consumer that applies it, so one trace spans gateway → service → broker → consumer.
"""

from opentelemetry import context, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

SpanKind = trace.SpanKind
_PROPAGATOR = TraceContextTextMapPropagator()


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

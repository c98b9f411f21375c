"""Trace context: off by default; carried by events from the span that wrote them."""

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind

from hdh_common.events import CloudEvent
from hdh_common.tracing import Tracing, current_traceparent, parent_context


def new_event() -> CloudEvent:
    return CloudEvent.new(source="/t", type="hdh.t.x.done.v1", subject="s", data={}, actor=None)


def test_tracing_is_off_without_an_endpoint() -> None:
    tracing = Tracing("hdh-test", "")
    with tracing.tracer.start_as_current_span("request"):
        assert current_traceparent() is None
        assert new_event().traceparent is None
    tracing.shutdown()


def test_an_event_carries_the_span_that_wrote_it_to_its_consumer() -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("request", kind=SpanKind.SERVER) as request:
        event = new_event()
    assert event.traceparent is not None
    trace_id = f"{request.get_span_context().trace_id:032x}"
    span_id = f"{request.get_span_context().span_id:016x}"
    assert event.traceparent.startswith(f"00-{trace_id}-{span_id}-")
    with tracer.start_as_current_span(
        "consume", context=parent_context(event.traceparent), kind=SpanKind.CONSUMER
    ) as consumer:
        assert consumer.parent is not None
        assert consumer.parent.span_id == request.get_span_context().span_id
        assert consumer.get_span_context().trace_id == request.get_span_context().trace_id

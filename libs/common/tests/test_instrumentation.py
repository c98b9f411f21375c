"""Spans from the database and the broker client: each statement a client span under the
request's, each published event a producer span in the trace of the request that wrote it."""

import pytest
import sqlalchemy as sa
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode, Tracer
from prometheus_client import CollectorRegistry

from hdh_common.db import create_engine
from hdh_common.outbox import Outbox, OutboxRelay, RelayMetrics
from hdh_common.tracing import instrument_engine
from hdh_dev.broker import TansuBroker
from hdh_dev.testing import Messaging


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def tracer(exporter: InMemorySpanExporter) -> Tracer:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("test")


def named(spans: tuple[ReadableSpan, ...], kind: SpanKind) -> list[ReadableSpan]:
    return [span for span in spans if span.kind == kind]


async def test_each_statement_is_a_client_span_under_the_request(
    database_url: str, tracer: Tracer, exporter: InMemorySpanExporter
) -> None:
    engine = create_engine(database_url, schema="public")
    instrument_engine(engine, tracer)
    try:
        with tracer.start_as_current_span("request", kind=SpanKind.SERVER) as request:
            async with engine.connect() as connection:
                assert await connection.scalar(sa.text("SELECT 41 + 1")) == 42
                with pytest.raises(sa.exc.ProgrammingError):
                    await connection.execute(sa.text("SELECT * FROM no_such_table"))
    finally:
        await engine.dispose()
    statements = [
        span
        for span in named(exporter.get_finished_spans(), SpanKind.CLIENT)
        if span.attributes and span.attributes.get("db.query.text", "").startswith("SELECT")
    ]
    ok, failed = statements[-2:]
    assert ok.name == "SELECT"
    assert ok.attributes is not None and ok.attributes["db.system.name"] == "postgresql"
    assert ok.attributes["db.query.text"] == "SELECT 41 + 1"
    assert ok.parent is not None and ok.parent.span_id == request.get_span_context().span_id
    assert failed.status.status_code == StatusCode.ERROR


async def test_a_published_event_is_a_producer_span_in_the_writer_s_trace(
    messaging: Messaging, kafka: TansuBroker, tracer: Tracer, exporter: InMemorySpanExporter
) -> None:
    outbox = Outbox(messaging.tables, service=messaging.schema)
    with tracer.start_as_current_span("request", kind=SpanKind.SERVER) as request:
        async with messaging.sessionmaker.begin() as session:
            event = await outbox.publish(
                session, type="hdh.t.thing.done.v1", subject="s1", data={}, actor=None
            )
    relay = OutboxRelay(
        outbox=outbox,
        sessionmaker=messaging.sessionmaker,
        bootstrap_servers=kafka.bootstrap_servers,
        metrics=RelayMetrics(CollectorRegistry()),
        tracer=tracer,
    )
    try:
        assert await relay.publish_pending() == 1
    finally:
        await relay._reset_producer()
    (send,) = named(exporter.get_finished_spans(), SpanKind.PRODUCER)
    assert send.name == f"send {outbox.topic}"
    assert send.context is not None
    assert send.context.trace_id == request.get_span_context().trace_id
    assert send.attributes is not None
    assert send.attributes["messaging.system"] == "kafka"
    assert send.attributes["messaging.message.id"] == event.id

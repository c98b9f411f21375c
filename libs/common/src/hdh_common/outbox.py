"""The transactional outbox: events written in the caller's transaction, published by a relay.

A write and its event commit or roll back together. The relay publishes unsent rows in
order, marks them sent, and keeps retrying while the broker is down: delayed, never lost.
"""

import asyncio
import contextlib
import logging
import time
import zlib
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from opentelemetry import trace
from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hdh_common.events import CloudEvent
from hdh_common.kafka import Kafka, ensure_topics, new_producer
from hdh_common.tracing import SpanKind, parent_context

logger = logging.getLogger(__name__)
SENT_RETENTION = timedelta(hours=1)
PURGE_EVERY_SECONDS = 60.0
PRODUCER_TIMEOUT_SECONDS = 10.0


class MessagingTables:
    """The ``outbox`` and ``inbox`` tables of one service's schema."""

    def __init__(self, metadata: sa.MetaData) -> None:
        self.outbox = sa.Table(
            "outbox",
            metadata,
            sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
            sa.Column("event_id", sa.String(64), nullable=False, unique=True),
            sa.Column("topic", sa.String(255), nullable=False),
            sa.Column("key", sa.String(255), nullable=False),
            sa.Column("payload", JSONB, nullable=False),
            sa.Column(
                "created_at",
                sa.DateTime(timezone=True),
                server_default=sa.func.now(),
                nullable=False,
            ),
            sa.Column("sent_at", sa.DateTime(timezone=True)),
            sa.Index("ix_outbox_unsent", "id", postgresql_where=sa.text("sent_at IS NULL")),
        )
        self.inbox = sa.Table(
            "inbox",
            metadata,
            sa.Column("consumer", sa.String(255), primary_key=True),
            sa.Column("event_id", sa.String(64), primary_key=True),
            sa.Column("event_type", sa.String(255), nullable=False),
            sa.Column(
                "processed_at",
                sa.DateTime(timezone=True),
                server_default=sa.func.now(),
                nullable=False,
            ),
        )


class Outbox:
    """Where a service writes the events it publishes on its own topic ``hdh.<service>``."""

    def __init__(self, tables: MessagingTables, *, service: str) -> None:
        self.tables = tables
        self.table = tables.outbox
        self.service = service
        self.topic = f"hdh.{service}"

    async def publish(
        self,
        session: AsyncSession,
        *,
        type: str,
        subject: str,
        data: dict[str, object],
        actor: str | None,
    ) -> CloudEvent:
        """Write an event in ``session``'s transaction, keyed by its subject (the aggregate)."""
        event = CloudEvent.new(
            source=f"/{self.service}", type=type, subject=subject, data=data, actor=actor
        )
        await self.add(session, event)
        return event

    async def add(
        self, session: AsyncSession, event: CloudEvent, *, topic: str | None = None
    ) -> None:
        await session.execute(
            sa.insert(self.table).values(
                event_id=event.id,
                topic=topic or self.topic,
                key=event.subject or event.id,
                payload=event.model_dump(mode="json", exclude_none=True),
            )
        )


class RelayMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.published = Counter("outbox_published_total", "Events published.", registry=registry)
        self.failures = Counter("outbox_failures_total", "Failed relay rounds.", registry=registry)
        self.pending = Gauge("outbox_pending", "Unsent events at the last scan.", registry=registry)


class OutboxRelay:
    """Publishes unsent outbox rows, oldest first, one relay per service at a time."""

    def __init__(
        self,
        *,
        outbox: Outbox,
        sessionmaker: async_sessionmaker[AsyncSession],
        bootstrap_servers: Kafka,
        metrics: RelayMetrics,
        poll_interval: float = 0.5,
        batch_size: int = 200,
        tracer: trace.Tracer | None = None,
    ) -> None:
        self.outbox = outbox
        self.sessionmaker = sessionmaker
        self.bootstrap_servers = bootstrap_servers
        self.metrics = metrics
        self.poll_interval = poll_interval
        self.batch_size = batch_size
        self.tracer = tracer or trace.NoOpTracer()
        self._wake = asyncio.Event()
        self._producer: AIOKafkaProducer | None = None
        self._known_topics: set[str] = set()
        self._purged_at = 0.0
        self._lock_key = zlib.crc32(f"outbox:{outbox.service}".encode())

    def nudge(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        backoff = self.poll_interval
        try:
            while True:
                try:
                    published = await self.publish_pending()
                    backoff = self.poll_interval
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # the broker or database is down: retry, never drop
                    self.metrics.failures.inc()
                    logger.warning("outbox relay round failed: %r", exc)
                    await self._reset_producer()
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 10.0)
                    continue
                if published < self.batch_size:
                    await self._wait()
        finally:
            await self._reset_producer()

    async def _wait(self) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.poll_interval):  # wait_for may drop a cancellation
                await self._wake.wait()
        self._wake.clear()

    async def publish_pending(self) -> int:
        """Publish one batch; returns how many rows were sent."""
        table = self.outbox.table
        async with self.sessionmaker.begin() as session:
            if not await session.scalar(
                sa.select(sa.func.pg_try_advisory_xact_lock(self._lock_key))
            ):
                return 0
            rows = (
                await session.execute(
                    sa.select(table.c.id, table.c.topic, table.c.key, table.c.payload)
                    .where(table.c.sent_at.is_(None))
                    .order_by(table.c.id)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            self.metrics.pending.set(len(rows))
            if not rows:
                await self._purge(session)
                return 0
            await self._send(rows)
            await session.execute(
                sa.update(table)
                .where(table.c.id.in_([r.id for r in rows]))
                .values(sent_at=sa.func.now())
            )
        self.metrics.published.inc(len(rows))
        self.metrics.pending.set(0)
        return len(rows)

    async def _send(self, rows: Sequence[Any]) -> None:
        producer = await self._started_producer()
        new_topics = sorted({r.topic for r in rows} - self._known_topics)
        if new_topics:
            await ensure_topics(self.bootstrap_servers, new_topics)
            self._known_topics.update(new_topics)
        spans, futures = [], []
        for row in rows:
            event = CloudEvent.model_validate(row.payload)
            span = self._producer_span(row.topic, event)
            spans.append(span)
            futures.append(await producer.send(row.topic, event.to_json(), key=row.key.encode()))
        try:
            await asyncio.gather(*futures)
        finally:
            for span in spans:
                span.end()

    def _producer_span(self, topic: str, event: CloudEvent) -> trace.Span:
        """From the send to the broker's acknowledgement, in the trace of the write."""
        return self.tracer.start_span(
            f"send {topic}",
            context=parent_context(event.traceparent),
            kind=SpanKind.PRODUCER,
            attributes={
                "messaging.system": "kafka",
                "messaging.operation.type": "send",
                "messaging.destination.name": topic,
                "messaging.message.id": event.id,
            },
        )

    async def _purge(self, session: AsyncSession) -> None:
        """Forget rows sent long ago, at most once a minute, when the relay is idle."""
        if time.monotonic() - self._purged_at < PURGE_EVERY_SECONDS:
            return
        self._purged_at = time.monotonic()
        table = self.outbox.table
        await session.execute(
            sa.delete(table).where(table.c.sent_at < sa.func.now() - SENT_RETENTION)
        )

    async def _started_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = new_producer(self.bootstrap_servers)
            try:
                async with asyncio.timeout(PRODUCER_TIMEOUT_SECONDS):
                    await producer.start()
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer
        return self._producer

    async def _reset_producer(self) -> None:
        producer, self._producer = self._producer, None
        self._known_topics.clear()
        if producer is not None:
            try:
                # Bounded: with the broker gone, flushing what is in flight never ends.
                async with asyncio.timeout(PRODUCER_TIMEOUT_SECONDS):
                    await producer.stop()
            except Exception as exc:
                logger.debug("producer stop failed: %r", exc)

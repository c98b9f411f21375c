"""Idempotent event consumers: exactly-once effect on at-least-once delivery.

Each event's id is recorded in the consumer's ``inbox`` in the same transaction as its
effect, so a redelivered event is skipped. The offset is committed only after that
transaction. An event that cannot be parsed (the envelope, or its payload when a handler
validates it: a pydantic ``ValidationError``) goes at once to the dead-letter topic
``dlq.<consumer>`` with the error, as does one whose handler keeps failing; the consumer
goes on.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeAlias, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from opentelemetry import trace
from prometheus_client import CollectorRegistry, Counter, Gauge
from pydantic import ValidationError
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hdh_common.errors import is_transient
from hdh_common.events import CloudEvent
from hdh_common.kafka import Kafka, ensure_topics, new_consumer, new_producer
from hdh_common.logs import correlation_id_var
from hdh_common.outbox import MessagingTables
from hdh_common.tracing import SpanKind, parent_context

logger = logging.getLogger(__name__)
S = TypeVar("S")
Record: TypeAlias = ConsumerRecord[bytes, bytes]
Handler: TypeAlias = Callable[[S, AsyncSession, CloudEvent], Awaitable[None]]
"""Applies one event, given the service's state (what its routes get) and the transaction."""
STOP_TIMEOUT_SECONDS = 2.0
STALL_CHECK_SECONDS = 5.0


@dataclass(frozen=True)
class Subscription(Generic[S]):
    """A named consumer (its group id) of some topics, or of a topic pattern."""

    name: str
    handler: Handler[S]
    topics: tuple[str, ...] = ()
    pattern: str | None = None
    max_attempts: int = 3


class ConsumerMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        labels = ["consumer"]
        self.processed = Counter(
            "events_processed_total", "Events applied.", labels, registry=registry
        )
        self.duplicates = Counter(
            "events_duplicate_total", "Redelivered events skipped.", labels, registry=registry
        )
        self.dead_lettered = Counter(
            "events_dead_lettered_total", "Events sent to the DLQ.", labels, registry=registry
        )
        self.lag = consumer_lag(registry)


def consumer_lag(registry: CollectorRegistry) -> Gauge:
    return Gauge(
        "kafka_consumer_lag",
        "Records of a partition the group has not consumed yet: the broker's high watermark"
        " minus the group's position.",
        ["group", "topic", "partition"],
        registry=registry,
    )


class PoisonMessage(Exception):
    """The message can never be applied."""


class ConsumerStalled(Exception):
    """Fetches keep coming back empty while the broker holds records past our position."""


class ConsumerLoop:
    """A consumer group's loop: (re)starts its clients, runs :meth:`_consume_forever` until
    it fails (then restarts a second later) or is cancelled, and dead-letters with the error.
    Subclasses say how records are consumed: one by one, or in batches."""

    def __init__(
        self,
        *,
        group_id: str,
        dlq_topic: str,
        bootstrap_servers: Kafka,
        topics: tuple[str, ...] = (),
        pattern: str | None = None,
        lag: Gauge | None = None,
    ) -> None:
        self.group_id = group_id
        self.lag = lag
        self._measured: set[TopicPartition] = set()
        self.dlq_topic = dlq_topic
        self.bootstrap_servers = bootstrap_servers
        self.topics = topics
        self.pattern = pattern
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None

    async def run(self) -> None:
        while True:
            try:
                await self._start()
                await self._consume_forever()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("consumer %s restarting: %r", self.group_id, exc)
                await asyncio.sleep(1.0)
            finally:
                await self._stop()

    async def _consume_forever(self) -> None:
        raise NotImplementedError

    async def _start(self) -> None:
        await ensure_topics(self.bootstrap_servers, [*self.topics, self.dlq_topic])
        self._producer = new_producer(self.bootstrap_servers)
        await self._producer.start()
        self._consumer = new_consumer(self.bootstrap_servers, group_id=self.group_id)
        if self.pattern is not None:
            self._consumer.subscribe(pattern=self.pattern)
        else:
            self._consumer.subscribe(list(self.topics))
        await self._consumer.start()

    async def _measure_lag(self, applied: Mapping[TopicPartition, int] | None = None) -> None:
        """Sets the lag of each assigned partition whose high watermark is known, from the
        position of the next record ``applied`` says, else the consumer's position."""
        if self.lag is None or self._consumer is None:
            return
        applied, assigned = applied or {}, self._consumer.assignment()
        for gone in self._measured - assigned:  # another member of the group has it now
            self.lag.remove(self.group_id, gone.topic, str(gone.partition))
        self._measured &= assigned
        for partition in assigned:
            highwater = self._consumer.highwater(partition)
            if highwater is None:
                continue
            position = applied.get(partition) or await self._consumer.position(partition)
            self.lag.labels(self.group_id, partition.topic, str(partition.partition)).set(
                max(highwater - position, 0)
            )
            self._measured.add(partition)

    async def _stop(self) -> None:
        for client in (self._consumer, self._producer):
            if client is not None:
                try:
                    # Bounded: a consumer stopped while still joining its group can linger.
                    async with asyncio.timeout(STOP_TIMEOUT_SECONDS):
                        await client.stop()
                except Exception as exc:
                    logger.debug("client stop failed: %r", exc)
        self._consumer = self._producer = None

    async def _dead_letter(self, record: Record, error: str) -> None:
        assert self._producer is not None
        logger.error(
            "dead-lettering %s[%s]@%s: %s", record.topic, record.partition, record.offset, error
        )
        headers = [
            ("error", error.encode()),
            ("original_topic", record.topic.encode()),
            ("original_partition", str(record.partition).encode()),
            ("original_offset", str(record.offset).encode()),
        ]
        await self._producer.send_and_wait(
            self.dlq_topic, record.value, key=record.key, headers=headers
        )


class EventConsumer(ConsumerLoop, Generic[S]):
    """Applies records one by one, each in its own transaction, handing ``state`` to the
    subscription's handler."""

    def __init__(
        self,
        subscription: Subscription[S],
        *,
        state: S,
        tables: MessagingTables,
        sessionmaker: async_sessionmaker[AsyncSession],
        bootstrap_servers: Kafka,
        metrics: ConsumerMetrics,
        tracer: trace.Tracer | None = None,
    ) -> None:
        super().__init__(
            group_id=subscription.name,
            dlq_topic=f"dlq.{subscription.name}",
            bootstrap_servers=bootstrap_servers,
            topics=subscription.topics,
            pattern=subscription.pattern,
            lag=metrics.lag,
        )
        self.subscription = subscription
        self.state = state
        self.tracer = tracer or trace.NoOpTracer()
        self.inbox = tables.inbox
        self.sessionmaker = sessionmaker
        self.metrics = metrics

    async def _consume_forever(self) -> None:
        assert self._consumer is not None
        idle_since, behind = time.monotonic(), set[tuple[TopicPartition, int]]()
        while True:
            batches = await self._consumer.getmany(timeout_ms=500, max_records=100)
            if batches:
                idle_since, behind = time.monotonic(), set()
            elif time.monotonic() - idle_since > STALL_CHECK_SECONDS:
                behind = await self._check_not_stalled(behind)
                idle_since = time.monotonic()
            for partition, records in batches.items():
                for record in records:
                    await self.handle(record)
                    await self._consumer.commit({partition: record.offset + 1})
                    await self._measure_lag({partition: record.offset + 1})
            if not batches:
                await self._measure_lag()

    async def _check_not_stalled(
        self, seen: set[tuple[TopicPartition, int]]
    ) -> set[tuple[TopicPartition, int]]:
        """The partitions behind the broker's end, at their positions. Behind at the same
        position on two checks in a row, with nothing fetched between, is a stall (seen with
        the embedded broker): the consumer restarts from its committed offsets."""
        assert self._consumer is not None
        assigned = list(self._consumer.assignment())
        if not assigned:
            return set()
        ends = await self._consumer.end_offsets(assigned)
        positions = {tp: await self._consumer.position(tp) for tp in assigned}
        behind = {(tp, positions[tp]) for tp in assigned if ends[tp] > positions[tp]}
        if behind & seen:
            raise ConsumerStalled(f"no record fetched although {sorted(behind & seen)} lag")
        return behind

    async def handle(self, record: Record) -> None:
        """Apply one record (retrying transient failures) or dead-letter it."""
        attempt = 0
        while True:
            attempt += 1
            try:
                await self._apply(record)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if is_transient(exc):
                    logger.warning("transient failure, retrying: %r", exc)
                    await asyncio.sleep(min(0.5 * attempt, 5.0))
                    continue
                if isinstance(exc, PoisonMessage | ValidationError) or (
                    attempt >= self.subscription.max_attempts
                ):
                    await self._dead_letter(record, f"{type(exc).__name__}: {exc}"[:1000])
                    self.metrics.dead_lettered.labels(self.subscription.name).inc()
                    return

    async def _apply(self, record: Record) -> None:
        try:
            event = CloudEvent.model_validate_json(record.value or b"")
        except ValidationError as exc:
            raise PoisonMessage(f"not a CloudEvent: {exc.error_count()} errors") from exc
        token = correlation_id_var.set(event.correlationid)
        span = self.tracer.start_as_current_span(
            f"consume {event.type}",
            context=parent_context(event.traceparent),
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.destination.name": record.topic,
                "messaging.consumer.group.name": self.subscription.name,
                "messaging.message.id": event.id,
            },
        )
        try:
            with span:
                async with self.sessionmaker.begin() as session:
                    if await self._record_once(session, event):
                        await self.subscription.handler(self.state, session, event)
                        self.metrics.processed.labels(self.subscription.name).inc()
                    else:
                        self.metrics.duplicates.labels(self.subscription.name).inc()
        finally:
            correlation_id_var.reset(token)

    async def _record_once(self, session: AsyncSession, event: CloudEvent) -> bool:
        inserted = await session.scalar(
            insert(self.inbox)
            .values(consumer=self.subscription.name, event_id=event.id, event_type=event.type)
            .on_conflict_do_nothing()
            .returning(self.inbox.c.event_id)
        )
        return inserted is not None

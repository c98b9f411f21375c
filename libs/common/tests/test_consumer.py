"""The event consumer on real servers: an event's effect applies once, a redelivered one is
skipped by the inbox, a transient failure is retried, and what can never apply (not a
CloudEvent, a handler that always fails) goes to the dead-letter topic."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client import CollectorRegistry
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from hdh_common.consumer import ConsumerMetrics, EventConsumer, Subscription
from hdh_common.events import CloudEvent
from hdh_common.kafka import ensure_topics
from hdh_dev.broker import TansuBroker
from hdh_dev.testing import Messaging, eventually, read_topic

EFFECTS = "SELECT count(*) FROM effect"
STATE = object()
"""What the consumer hands its handler beside the session (a service's typed state)."""


@dataclass
class Handler:
    """Records each event it applies in the ``effect`` table of the consumer's transaction;
    fails ``failures`` times first with ``error``."""

    failures: int = 0
    error: type[Exception] = ValueError
    calls: list[str] = field(default_factory=list)
    states: list[object] = field(default_factory=list)

    async def __call__(self, state: object, session: AsyncSession, event: CloudEvent) -> None:
        self.calls.append(event.id)
        self.states.append(state)
        await session.execute(text("INSERT INTO effect (event_id) VALUES (:id)"), {"id": event.id})
        if len(self.calls) <= self.failures:
            raise self.error("the handler failed")


@dataclass
class Consuming:
    topic: str
    name: str
    registry: CollectorRegistry
    send: Callable[[bytes], Awaitable[None]]

    def counted(self, metric: str) -> float:
        return self.registry.get_sample_value(metric, {"consumer": self.name}) or 0.0


Consume = Callable[[Handler], Awaitable[Consuming]]


@pytest.fixture
async def consume(messaging: Messaging, kafka: TansuBroker) -> AsyncIterator[Consume]:
    """``await consume(handler)``: a consumer of a topic of the test's own, running."""
    await messaging.execute("CREATE TABLE effect (event_id text NOT NULL)")
    name = f"test-{uuid.uuid4().hex[:8]}"
    topic = f"hdh.{name}"
    await ensure_topics(kafka.bootstrap_servers, [topic])
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers)
    await producer.start()
    tasks: list[asyncio.Task[None]] = []

    async def send(value: bytes) -> None:
        await producer.send_and_wait(topic, value, key=b"subject")

    async def start(handler: Handler) -> Consuming:
        registry = CollectorRegistry()
        consumer = EventConsumer(
            Subscription(name=name, handler=handler, topics=(topic,)),
            state=STATE,
            tables=messaging.tables,
            sessionmaker=messaging.sessionmaker,
            bootstrap_servers=kafka.bootstrap_servers,
            metrics=ConsumerMetrics(registry),
        )
        tasks.append(asyncio.create_task(consumer.run()))
        return Consuming(topic=topic, name=name, registry=registry, send=send)

    yield start
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await producer.stop()


def event(n: int = 1) -> CloudEvent:
    return CloudEvent.new(
        source="/test", type="hdh.test.thing.happened.v1", subject="s", data={"n": n}, actor="t"
    )


async def test_an_event_is_applied_once_and_recorded_in_the_inbox(
    consume: Consume, messaging: Messaging
) -> None:
    handler = Handler()
    consuming = await consume(handler)
    sent = event()
    await consuming.send(sent.to_json())

    async def applied() -> bool:
        return bool(await messaging.scalar(EFFECTS) == 1)

    await eventually(applied, within=60)  # the first join of a group takes seconds
    assert consuming.counted("events_processed_total") == 1
    inbox = await messaging.scalar(f"SELECT event_type FROM inbox WHERE event_id = '{sent.id}'")
    assert inbox == sent.type
    assert handler.states == [STATE]


async def test_a_redelivered_event_is_skipped(consume: Consume, messaging: Messaging) -> None:
    handler = Handler()
    consuming = await consume(handler)
    sent = event()
    await consuming.send(sent.to_json())
    await consuming.send(sent.to_json())

    async def skipped() -> bool:
        return consuming.counted("events_duplicate_total") == 1

    await eventually(skipped, within=60)
    assert consuming.counted("events_processed_total") == 1
    assert handler.calls == [sent.id]
    assert await messaging.scalar(EFFECTS) == 1


async def test_a_transient_failure_is_retried_until_it_applies(
    consume: Consume, messaging: Messaging
) -> None:
    handler = Handler(failures=4, error=ConnectionError)  # more than max_attempts
    consuming = await consume(handler)
    await consuming.send(event().to_json())

    async def applied() -> bool:
        return bool(await messaging.scalar(EFFECTS) == 1)

    await eventually(applied, within=60)
    assert len(handler.calls) == 5
    assert await messaging.scalar(EFFECTS) == 1  # the failed attempts rolled back
    assert consuming.counted("events_dead_lettered_total") == 0


async def test_what_is_not_a_cloud_event_is_dead_lettered_and_the_next_event_applies(
    consume: Consume, messaging: Messaging, kafka: TansuBroker
) -> None:
    handler = Handler()
    consuming = await consume(handler)
    await consuming.send(b"not an event")
    await consuming.send(event().to_json())

    async def applied() -> bool:
        return bool(await messaging.scalar(EFFECTS) == 1)

    await eventually(applied, within=60)
    [dead] = await read_topic(kafka.bootstrap_servers, f"dlq.{consuming.name}", count=1)
    assert dead.value == b"not an event"
    assert dict(dead.headers)["original_topic"] == consuming.topic.encode()
    assert dict(dead.headers)["error"].startswith(b"PoisonMessage: not a CloudEvent")
    assert len(handler.calls) == 1


async def test_a_handler_that_always_fails_is_dead_lettered_after_its_attempts(
    consume: Consume, messaging: Messaging, kafka: TansuBroker
) -> None:
    handler = Handler(failures=1_000)
    consuming = await consume(handler)
    sent = event()
    await consuming.send(sent.to_json())

    async def dead_lettered() -> bool:
        return consuming.counted("events_dead_lettered_total") == 1

    await eventually(dead_lettered, within=60)
    [dead] = await read_topic(kafka.bootstrap_servers, f"dlq.{consuming.name}", count=1)
    assert CloudEvent.model_validate_json(dead.value or b"") == sent
    assert dict(dead.headers)["error"] == b"ValueError: the handler failed"
    assert handler.calls == [sent.id] * 3
    assert await messaging.scalar(EFFECTS) == 0
    assert await messaging.scalar("SELECT count(*) FROM inbox") == 0


@dataclass
class Gated(Handler):
    """Applies one event each time the test opens the gate."""

    gate: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(0))

    async def __call__(self, state: object, session: AsyncSession, event: CloudEvent) -> None:
        await self.gate.acquire()
        await super().__call__(state, session, event)


async def test_the_lag_of_a_partition_falls_as_its_records_are_applied(
    consume: Consume, messaging: Messaging
) -> None:
    handler = Gated()
    consuming = await consume(handler)
    for n in range(4):
        await consuming.send(event(n).to_json())  # one key: one partition

    def lag() -> float:
        """Summed over the topic's partitions (the others hold nothing: 0)."""
        return sum(
            sample.value
            for metric in consuming.registry.collect()
            if metric.name == "kafka_consumer_lag"
            for sample in metric.samples
            if (sample.labels["group"], sample.labels["topic"]) == (consuming.name, consuming.topic)
        )

    handler.gate.release()

    async def one_applied() -> bool:
        return lag() == 3  # three records behind once the first is applied

    await eventually(one_applied, within=60)
    for _ in range(3):
        handler.gate.release()

    async def caught_up() -> bool:
        return lag() == 0 and len(handler.calls) == 4

    await eventually(caught_up, within=30)
    assert await messaging.scalar(EFFECTS) == 4

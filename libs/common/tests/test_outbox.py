"""The outbox on real servers: an event commits or rolls back with its transaction; the relay
publishes unsent rows in order, marks them sent, and waits out a broker that is down."""

import asyncio

import pytest
from prometheus_client import CollectorRegistry

from hdh_common.events import CloudEvent
from hdh_common.outbox import Outbox, OutboxRelay, RelayMetrics
from hdh_dev.broker import TansuBroker, start_tansu
from hdh_dev.processes import free_port
from hdh_dev.testing import Messaging, eventually, read_topic

UNSENT = "SELECT count(*) FROM outbox WHERE sent_at IS NULL"


@pytest.fixture
def outbox(messaging: Messaging) -> Outbox:
    """The outbox of a service named after the test's schema: a topic no other test uses."""
    return Outbox(messaging.tables, service=messaging.schema)


def relay_of(
    outbox: Outbox,
    messaging: Messaging,
    *,
    bootstrap_servers: str,
    registry: CollectorRegistry | None = None,
) -> OutboxRelay:
    return OutboxRelay(
        outbox=outbox,
        sessionmaker=messaging.sessionmaker,
        bootstrap_servers=bootstrap_servers,
        metrics=RelayMetrics(registry or CollectorRegistry()),
        poll_interval=0.1,
    )


def event(n: int, *, subject: str = "dataset-1") -> CloudEvent:
    return CloudEvent.new(
        source="/test",
        type="hdh.test.thing.happened.v1",
        subject=subject,
        data={"n": n},
        actor="tester",
    )


async def add(messaging: Messaging, outbox: Outbox, *events: CloudEvent) -> None:
    async with messaging.sessionmaker.begin() as session:
        for each in events:
            await outbox.add(session, each)


async def test_an_event_added_in_a_committed_transaction_is_published_and_marked_sent(
    messaging: Messaging, outbox: Outbox, kafka: TansuBroker
) -> None:
    sent = event(1)
    await add(messaging, outbox, sent)
    assert await messaging.scalar(UNSENT) == 1

    relay = relay_of(outbox, messaging, bootstrap_servers=kafka.bootstrap_servers)
    assert await relay.publish_pending() == 1

    assert await messaging.scalar(UNSENT) == 0
    [record] = await read_topic(kafka.bootstrap_servers, outbox.topic, count=1)
    assert CloudEvent.model_validate_json(record.value or b"") == sent
    assert record.key == b"dataset-1"


async def test_a_rolled_back_transaction_leaves_nothing_to_publish(
    messaging: Messaging, outbox: Outbox, kafka: TansuBroker
) -> None:
    async with messaging.sessionmaker() as session:
        await outbox.add(session, event(1))
        await session.rollback()

    assert await messaging.scalar("SELECT count(*) FROM outbox") == 0
    relay = relay_of(outbox, messaging, bootstrap_servers=kafka.bootstrap_servers)
    assert await relay.publish_pending() == 0


async def test_one_subject_s_events_are_published_in_the_order_they_were_written(
    messaging: Messaging, outbox: Outbox, kafka: TansuBroker
) -> None:
    written = [event(n) for n in range(8)]
    for each in written:  # one transaction each, as eight requests would
        await add(messaging, outbox, each)
    relay = relay_of(outbox, messaging, bootstrap_servers=kafka.bootstrap_servers)
    relay.batch_size = 3

    while await relay.publish_pending():
        pass

    records = await read_topic(kafka.bootstrap_servers, outbox.topic, count=len(written))
    assert [CloudEvent.model_validate_json(r.value or b"").id for r in records] == [
        e.id for e in written
    ]
    assert await messaging.scalar(UNSENT) == 0


async def test_events_wait_out_a_broker_that_is_down_and_are_published_once_it_is_up(
    messaging: Messaging, outbox: Outbox
) -> None:
    port = free_port()
    registry = CollectorRegistry()
    relay = relay_of(outbox, messaging, bootstrap_servers=f"127.0.0.1:{port}", registry=registry)
    task = asyncio.create_task(relay.run())
    broker: TansuBroker | None = None
    try:
        await add(messaging, outbox, event(1), event(2, subject="dataset-2"))

        async def failed_twice() -> bool:
            return (registry.get_sample_value("outbox_failures_total") or 0) >= 2

        await eventually(failed_twice)
        assert await messaging.scalar(UNSENT) == 2

        broker = start_tansu(port=port)

        async def all_sent() -> bool:
            return await messaging.scalar(UNSENT) == 0

        await eventually(all_sent)
        records = await read_topic(broker.bootstrap_servers, outbox.topic, count=2)
        assert sorted(r.key for r in records) == [b"dataset-1", b"dataset-2"]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        if broker is not None:
            broker.stop()

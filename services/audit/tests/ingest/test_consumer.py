"""Acceptance 3, on the real broker: every hdh.* topic (new ones too) is ingested; redelivered
events are appended once; concurrent ingesters leave no gap in the sequence numbers."""

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from audit.config import Settings
from audit.ingest.consumer import DLQ_TOPIC, BatchIngester
from audit.main import create_app
from audit.merkle import MemoryTree
from audit.tree import service as tree
from hdh_common.events import CloudEvent
from hdh_common.kafka import DEFAULT_PARTITIONS, ensure_topics
from hdh_dev.broker import TansuBroker
from hdh_dev.testing import eventually, running

EVENTS = 240
LEAVES = "SELECT leaf_hash FROM audit.entry ORDER BY seq"
ACTIONS = "SELECT DISTINCT action FROM audit.entry"


async def scalar(engine: AsyncEngine, query: str) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(sa.text(query)) or 0)


def event(n: int, *, service: str) -> CloudEvent:
    return CloudEvent(
        source=f"/{service}",
        type=f"hdh.{service}.thing.happened.v1",
        subject=f"thing-{n % 17}",
        actor=f"user-{n % 5}",
        data={"n": n, "project_id": f"p-{n % 3}"},
    )


@pytest.fixture
def prefix() -> str:
    return f"hdh.t{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def ingesters(
    kafka: TansuBroker, sessionmaker: async_sessionmaker[AsyncSession], prefix: str
) -> AsyncIterator[list[BatchIngester]]:
    """Two ingesters in two groups, so that every record reaches the log twice, concurrently."""
    running = [
        BatchIngester(
            sessionmaker=sessionmaker,
            bootstrap_servers=kafka.bootstrap_servers,
            pattern=rf"^{re.escape(prefix)}\..*",
            batch_size=40,
            group_id=f"audit-{prefix}-{i}",
        )
        for i in range(2)
    ]
    tasks = [asyncio.create_task(ingester.run()) for ingester in running]
    yield running
    for task in tasks:
        task.cancel()
    await asyncio.wait(tasks, timeout=5)


async def publish(broker: str, messages: list[tuple[str, bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=broker, linger_ms=5)
    await producer.start()
    try:
        for topic, key, value in messages:
            await producer.send(topic, value, key=key)
        await producer.flush()
    finally:
        await producer.stop()


async def test_concurrent_redelivered_ingestion_is_gapless_and_once(
    kafka: TansuBroker,
    ingesters: list[BatchIngester],
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    prefix: str,
) -> None:
    topics = [f"{prefix}.catalog", f"{prefix}.access"]
    await ensure_topics(kafka.bootstrap_servers, topics)  # after the ingesters subscribed
    events = [event(n, service=("catalog", "access")[n % 2]) for n in range(EVENTS)]
    messages = [
        (topics[n % 2], e.subject.encode() if e.subject else b"", e.to_json())
        for n, e in enumerate(events)
    ]
    redelivered = messages[::7]
    poison = [(topics[0], b"x", b"not an event")]
    await publish(kafka.bootstrap_servers, messages + redelivered + poison)

    async def all_in() -> bool:
        return await scalar(engine, "SELECT count(*) FROM audit.entry") >= EVENTS

    await eventually(all_in, within=45)
    await asyncio.sleep(1.0)
    assert await scalar(engine, "SELECT count(*) FROM audit.entry") == EVENTS
    assert await scalar(engine, "SELECT count(DISTINCT event_id) FROM audit.entry") == EVENTS
    assert await scalar(engine, "SELECT max(seq) FROM audit.entry") == EVENTS - 1
    assert sum(ingester.appended for ingester in ingesters) == EVENTS
    async with engine.connect() as connection:
        leaves = (
            await connection.scalars(sa.text("SELECT leaf_hash FROM audit.entry ORDER BY seq"))
        ).all()
        actions = set(
            (await connection.scalars(sa.text("SELECT DISTINCT action FROM audit.entry"))).all()
        )
    assert actions == {"hdh.catalog.thing.happened.v1", "hdh.access.thing.happened.v1"}
    reference = MemoryTree()
    for leaf in leaves:
        reference.append(leaf)
    async with sessionmaker() as session:
        assert await tree.current_size(session) == EVENTS
        assert await tree.root(session, size=EVENTS) == reference.root()


async def test_the_service_ingests_what_services_publish(
    kafka: TansuBroker,
    audit_settings: Callable[..., Settings],
    as_role: Callable[..., dict[str, str]],
    prefix: str,
) -> None:
    topic = f"{prefix}.access"
    settings = audit_settings(
        audit_ingest_enabled=True, audit_ingest_topic_pattern=rf"^{re.escape(prefix)}\..*"
    )
    await ensure_topics(kafka.bootstrap_servers, [topic])
    published = [event(n, service="access") for n in range(3)]
    await publish(kafka.bootstrap_servers, [(topic, b"k", e.to_json()) for e in published])
    async with running(create_app(settings)) as client:

        async def logged() -> bool:
            head = await client.get("/audit/tree-head", headers=as_role("auditor"))
            return bool(head.json()["tree_size"] == 3)

        await eventually(logged, within=45)
        proof = await client.get(
            "/audit/proofs/inclusion",
            params={"entry_id": published[1].id, "tree_size": 3},
            headers=as_role("system"),
        )
    assert proof.status_code == 200


async def test_a_failed_batch_is_retried_not_lost(
    kafka: TansuBroker,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The database fails twice while the batch is stored: nothing is committed, the batch
    is retried until it is stored; poison goes to ``dlq.audit``."""
    topic = f"{prefix}.linkage"
    await ensure_topics(kafka.bootstrap_servers, [topic])
    published = [event(n, service="linkage") for n in range(20)]
    messages = [(topic, b"k", e.to_json()) for e in published] + [(topic, b"k", b"{}")]
    await publish(kafka.bootstrap_servers, messages)
    failures = [ConnectionError("database went away"), OSError("still away")]
    original = BatchIngester._append

    async def flaky(self: BatchIngester, rows: list[dict[str, Any]]) -> None:
        if failures:
            raise failures.pop()
        await original(self, rows)

    monkeypatch.setattr(BatchIngester, "_append", flaky)
    ingester = BatchIngester(
        sessionmaker=sessionmaker,
        bootstrap_servers=kafka.bootstrap_servers,
        pattern=rf"^{re.escape(topic)}$",
        batch_size=100,
        group_id=f"audit-{prefix}",
    )
    task = asyncio.create_task(ingester.run())
    try:

        async def all_in() -> bool:
            return await scalar(engine, "SELECT count(*) FROM audit.entry") == 20

        await eventually(all_in, within=45)
    finally:
        task.cancel()
        await asyncio.wait([task], timeout=5)
    assert not failures
    dead = await dead_letters(kafka.bootstrap_servers, topic)
    assert dead and all(value == b"{}" for value in dead)


async def dead_letters(broker: str, topic: str) -> list[bytes]:
    """What ``dlq.audit`` holds from ``topic`` (read without a group: no join to wait for)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=broker, auto_offset_reset="earliest")
    await consumer.start()
    consumer.assign([TopicPartition(DLQ_TOPIC, p) for p in range(DEFAULT_PARTITIONS)])
    found: list[bytes] = []
    try:
        async with asyncio.timeout(15):
            while not found:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    found += [
                        r.value or b""
                        for r in records
                        if ("original_topic", topic.encode()) in r.headers
                    ]
    finally:
        await consumer.stop()
    return found

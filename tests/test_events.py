"""Events between services: outbox atomicity, delivery through the broker, idempotence, DLQ."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from access.db import outbox as access_outbox
from access.main import create_app as create_access
from catalog.datasets import schemas, service
from catalog.main import create_app as create_catalog
from hdh_common.consumer import ConsumerMetrics, EventConsumer, Subscription
from hdh_common.db import create_sessionmaker
from hdh_common.events import CloudEvent
from hdh_common.identity import Principal, Role
from hdh_dev.broker import TansuBroker
from hdh_dev.processes import free_port
from hdh_dev.testing import SettingsFactory, TokenFactory, eventually, fresh_database, running


@pytest.fixture(scope="module")
async def database_url() -> AsyncIterator[str]:
    """This module's own database: its tests count unsent outbox rows, which any relay left
    running on the session database (with a broker it can reach) would publish."""
    async with fresh_database("hdh_events") as url:
        yield url


async def scalar(engine: AsyncEngine, query: str) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(sa.text(query)) or 0)


def dataset(slug: str) -> dict[str, str]:
    return {"slug": slug, "title": slug.upper(), "publisher": "cnam"}


@pytest.fixture
def producer_headers(make_token: TokenFactory) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token('catalog', 'producer', sub='paul', org='cnam')}"}


@asynccontextmanager
async def catalog_and_access(
    make_settings: SettingsFactory, broker: TansuBroker
) -> AsyncIterator[httpx.AsyncClient]:
    """The catalogue and the access service on ``broker``; a client of the catalogue."""
    on_broker = {"kafka_bootstrap_servers": broker.bootstrap_servers}
    async with (
        running(create_catalog(make_settings("catalog", **on_broker))) as catalog,
        running(create_access(make_settings("access", **on_broker))),
    ):
        yield catalog


async def test_write_and_event_commit_together(
    make_settings: SettingsFactory, engine: AsyncEngine, producer_headers: dict[str, str]
) -> None:
    async with running(
        create_catalog(make_settings("catalog", kafka_bootstrap_servers=f"127.0.0.1:{free_port()}"))
    ) as catalog:
        headers = producer_headers | {"X-Correlation-ID": "corr-42"}
        created = await catalog.post("/catalog/datasets", json=dataset("first"), headers=headers)
        assert created.status_code == 201
        refused = await catalog.post(
            "/catalog/datasets", json=dataset("first"), headers=producer_headers
        )
        assert refused.status_code == 409
    assert await scalar(engine, "SELECT count(*) FROM catalog.dataset") == 1
    assert await scalar(engine, "SELECT count(*) FROM catalog.outbox WHERE sent_at IS NULL") == 1
    async with engine.connect() as connection:
        payload = await connection.scalar(sa.text("SELECT payload FROM catalog.outbox"))
    assert payload["type"] == "hdh.catalog.dataset.registered.v1"
    assert payload["subject"] == created.json()["id"]
    assert payload["actor"] == "paul"
    assert payload["correlationid"] == "corr-42"


async def test_rolled_back_write_leaves_no_event(
    make_settings: SettingsFactory, engine: AsyncEngine
) -> None:
    sessionmaker = create_sessionmaker(engine)
    principal = Principal("paul", frozenset({Role.PRODUCER}), "cnam")
    async with sessionmaker() as session:
        await service.register(session, principal, schemas.DatasetCreate(**dataset("gone")))
        assert await session.scalar(sa.text("SELECT count(*) FROM catalog.outbox")) == 1
        await session.rollback()
    assert await scalar(engine, "SELECT count(*) FROM catalog.dataset") == 0
    assert await scalar(engine, "SELECT count(*) FROM catalog.outbox") == 0


async def test_event_reaches_the_other_service(
    make_settings: SettingsFactory,
    engine: AsyncEngine,
    producer_headers: dict[str, str],
    own_broker: TansuBroker,
) -> None:
    async with catalog_and_access(make_settings, own_broker) as catalog:
        created = (
            await catalog.post("/catalog/datasets", json=dataset("dcir"), headers=producer_headers)
        ).json()

        async def arrived() -> bool:
            return (
                await scalar(
                    engine, f"SELECT count(*) FROM access.dataset_ref WHERE id = '{created['id']}'"
                )
                == 1
            )

        await eventually(arrived)
    assert await scalar(engine, "SELECT count(*) FROM catalog.outbox WHERE sent_at IS NULL") == 0


async def test_imported_tables_reach_the_access_service_as_variables(
    make_settings: SettingsFactory,
    engine: AsyncEngine,
    producer_headers: dict[str, str],
    own_broker: TansuBroker,
) -> None:
    schema = {
        "name": "SEJOUR",
        "fields": [
            {"name": "SEJ_ID", "type": "string"},
            {"name": "BEN_NIR_PSA", "type": "string"},
            {"name": "SEJ_ENT_DTE", "type": "date"},
        ],
    }
    variables = "SELECT string_agg(name, ',' ORDER BY name) FROM access.variable_ref"
    async with catalog_and_access(make_settings, own_broker) as catalog:
        created = await catalog.post(
            "/catalog/datasets", json=dataset("pmsi"), headers=producer_headers
        )
        imported = await catalog.post(
            "/catalog/import/table-schema",
            params={"dataset_id": created.json()["id"]},
            json=schema,
            headers=producer_headers,
        )
        assert imported.status_code == 200, imported.text

        found: list[str | None] = []

        async def arrived() -> bool:
            async with engine.connect() as connection:
                found.append(await connection.scalar(sa.text(variables)))
            return bool(found[-1] == "BEN_NIR_PSA,SEJ_ENT_DTE,SEJ_ID")

        try:
            await eventually(arrived, within=60)  # the consumer's first join may be slow
        except AssertionError:
            unsent = await scalar(
                engine, "SELECT count(*) FROM catalog.outbox WHERE sent_at IS NULL"
            )
            datasets = await scalar(engine, "SELECT count(*) FROM access.dataset_ref")
            raise AssertionError(
                f"variables found: {found[-1]!r}; unsent catalogue events: {unsent};"
                f" datasets known to access: {datasets}"
            ) from None


@pytest.fixture
async def effects(engine: AsyncEngine) -> AsyncIterator[str]:
    """A table the test consumer writes its effect to: one row per application of an event."""
    table = f"public.effect_{uuid.uuid4().hex[:8]}"
    async with engine.begin() as connection:
        await connection.execute(sa.text(f"CREATE TABLE {table} (event_id text, subject text)"))
    yield table
    async with engine.begin() as connection:
        await connection.execute(sa.text(f"DROP TABLE {table}"))


def recording_consumer(
    engine: AsyncEngine, broker: str, table: str, *, topic: str, name: str
) -> EventConsumer:
    async def record(session: AsyncSession, event: CloudEvent) -> None:
        if event.data.get("poison"):
            raise ValueError("this event cannot be applied")
        await session.execute(
            sa.text(f"INSERT INTO {table} VALUES (:id, :subject)"),
            {"id": event.id, "subject": event.subject},
        )

    return EventConsumer(
        Subscription(name=name, topics=(topic,), handler=record),
        tables=access_outbox.tables,
        sessionmaker=create_sessionmaker(engine),
        bootstrap_servers=broker,
        metrics=ConsumerMetrics(CollectorRegistry()),
    )


async def send(broker: str, topic: str, *values: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=broker)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, key=b"k")
    finally:
        await producer.stop()


def event(subject: str, **data: object) -> CloudEvent:
    return CloudEvent(source="/test", type="hdh.test.thing.happened.v1", subject=subject, data=data)


async def test_redelivered_event_takes_effect_once(
    engine: AsyncEngine, kafka: TansuBroker, effects: str
) -> None:
    topic = f"hdh.test-{uuid.uuid4().hex[:6]}"
    consumer = recording_consumer(
        engine, kafka.bootstrap_servers, effects, topic=topic, name=f"t-{topic}"
    )
    task = asyncio.create_task(consumer.run())
    try:
        once, twice = event("a"), event("b")
        await send(
            kafka.bootstrap_servers,
            topic,
            once.to_json(),
            twice.to_json(),
            twice.to_json(),
            twice.to_json(),
        )

        async def applied() -> bool:
            return await scalar(engine, f"SELECT count(*) FROM {effects}") >= 2

        await eventually(applied)
        await asyncio.sleep(0.5)
    finally:
        task.cancel()
    assert await scalar(engine, f"SELECT count(*) FROM {effects}") == 2
    assert await scalar(engine, f"SELECT count(*) FROM {effects} WHERE subject = 'b'") == 1


async def read_all(broker: str, topic: str, expected: int) -> list[tuple[bytes, dict[str, bytes]]]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=broker,
        auto_offset_reset="earliest",
        group_id=f"reader-{uuid.uuid4().hex[:6]}",
    )
    await consumer.start()
    found: list[tuple[bytes, dict[str, bytes]]] = []
    try:
        async with asyncio.timeout(30):
            while len(found) < expected:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    found += [(r.value or b"", dict(r.headers)) for r in records]
    finally:
        await consumer.stop()
    return found


async def test_poison_messages_go_to_the_dead_letter_topic(
    engine: AsyncEngine, kafka: TansuBroker, effects: str
) -> None:
    topic = f"hdh.test-{uuid.uuid4().hex[:6]}"
    name = f"t-{topic}"
    consumer = recording_consumer(engine, kafka.bootstrap_servers, effects, topic=topic, name=name)
    task = asyncio.create_task(consumer.run())
    try:
        await send(
            kafka.bootstrap_servers,
            topic,
            b"{not json",
            event("p", poison=True).to_json(),
            event("ok").to_json(),
        )

        async def applied() -> bool:
            return await scalar(engine, f"SELECT count(*) FROM {effects}") == 1

        await eventually(applied)
        dead = await read_all(kafka.bootstrap_servers, f"dlq.{name}", expected=2)
    finally:
        task.cancel()
    assert dead[0][0] == b"{not json"
    assert b"ValueError: this event cannot be applied" in dead[1][1]["error"]
    assert dead[1][1]["original_topic"] == topic.encode()
    assert await scalar(engine, f"SELECT count(*) FROM {effects} WHERE subject = 'ok'") == 1


async def post_datasets(
    client: httpx.AsyncClient, headers: dict[str, str], prefix: str, count: int
) -> None:
    for i in range(count):
        response = await client.post(
            "/catalog/datasets", json=dataset(f"{prefix}-{i}"), headers=headers
        )
        assert response.status_code == 201, response.text


async def refs_at_least(engine: AsyncEngine, count: int) -> bool:
    return await scalar(engine, "SELECT count(*) FROM access.dataset_ref") >= count

"""Events between services: a write and its event commit together, and reach the other
service through the broker (the consumer's idempotence and dead letters are tested on their
own in libs/common/tests/test_consumer.py)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from access.main import create_app as create_access
from catalog.datasets import schemas, service
from catalog.main import create_app as create_catalog
from hdh_common.db import create_sessionmaker
from hdh_common.identity import Principal, Role
from hdh_dev.broker import TansuBroker
from hdh_dev.processes import free_port
from hdh_dev.testing import (
    SettingsFactory,
    TokenFactory,
    bearer,
    eventually,
    fresh_database,
    running,
)


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
    return bearer(make_token("catalog", "producer", sub="paul", org="cnam"))


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

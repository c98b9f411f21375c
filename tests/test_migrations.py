"""Each service's migrations upgrade an empty database, downgrade cleanly, stay in their schema."""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from hdh_common import migrations
from hdh_dev.testing import SERVER_URL, SERVICES

OUTSIDE = """
SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname NOT IN (:schema, 'pg_catalog', 'information_schema', 'pg_toast')
UNION ALL SELECT 'schema ' || nspname FROM pg_namespace WHERE nspname <> :schema
UNION ALL SELECT 'type ' || n.nspname || '.' || t.typname FROM pg_type t
  JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE n.nspname NOT IN (:schema, 'pg_catalog', 'information_schema', 'pg_toast')
UNION ALL SELECT 'function ' || n.nspname || '.' || p.proname FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname NOT IN (:schema, 'pg_catalog', 'information_schema')
UNION ALL SELECT 'extension ' || e.extname FROM pg_extension e
  JOIN pg_namespace n ON n.oid = e.extnamespace WHERE n.nspname <> :schema
"""
TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = :schema ORDER BY tablename"


@pytest.fixture
async def empty_database() -> AsyncIterator[str]:
    server = sa.make_url(os.environ.get("HDH_TEST_DATABASE_URL", SERVER_URL))
    name = f"hdh_migrate_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    async with admin.connect() as connection:
        await connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    await admin.dispose()


async def snapshot(url: str, schema: str) -> tuple[set[str], list[str]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            outside = set((await connection.scalars(sa.text(OUTSIDE), {"schema": schema})).all())
            tables = list((await connection.scalars(sa.text(TABLES), {"schema": schema})).all())
    finally:
        await engine.dispose()
    return outside, tables


@pytest.mark.parametrize("service", SERVICES)
async def test_upgrade_downgrade_stays_in_own_schema(empty_database: str, service: str) -> None:
    before, _ = await snapshot(empty_database, service)

    await asyncio.to_thread(migrations.upgrade, service, empty_database)
    outside, tables = await snapshot(empty_database, service)
    assert outside == before
    assert {"alembic_version", "outbox", "inbox"} <= set(tables)

    await asyncio.to_thread(migrations.downgrade, service, empty_database)
    outside, tables = await snapshot(empty_database, service)
    assert outside == before
    assert tables == ["alembic_version"]

    await asyncio.to_thread(migrations.upgrade, service, empty_database)
    assert {"outbox", "inbox"} <= set((await snapshot(empty_database, service))[1])

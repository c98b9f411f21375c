import asyncio
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from hdh_common import migrations
from hdh_dev.testing import fresh_database


async def run(url: str, statement: str) -> list[str]:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            result = await connection.execute(sa.text(statement))
            return [str(row[0]) for row in result] if result.returns_rows else []
    finally:
        await engine.dispose()


@pytest.fixture
async def empty_database() -> AsyncIterator[str]:
    async with fresh_database("hdh_linkage_mig", services=()) as url:
        yield url


TABLES = (
    "SELECT table_schema || '.' || table_name FROM information_schema.tables"
    " WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
)


async def test_upgrade_from_empty_and_downgrade_clean(empty_database: str) -> None:
    await asyncio.to_thread(migrations.upgrade, "linkage", empty_database)
    tables = await run(empty_database, TABLES)
    assert all(t.startswith("linkage.") for t in tables)
    assert {"linkage.domain_key", "linkage.job", "linkage.grant", "linkage.extract_file"} <= set(
        tables
    )
    await asyncio.to_thread(migrations.downgrade, "linkage", empty_database)
    assert await run(empty_database, TABLES) == ["linkage.alembic_version"]
    await asyncio.to_thread(migrations.upgrade, "linkage", empty_database)

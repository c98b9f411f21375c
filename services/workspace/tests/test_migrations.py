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
    async with fresh_database("hdh_workspace_mig", services=()) as url:
        yield url


TABLES = (
    "SELECT table_schema || '.' || table_name FROM information_schema.tables"
    " WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
)


async def test_upgrade_from_empty_and_downgrade_clean(empty_database: str) -> None:
    await asyncio.to_thread(migrations.upgrade, "workspace", empty_database)
    tables = await run(empty_database, TABLES)
    assert set(tables) == {
        "workspace.alembic_version",
        "workspace.inbox",
        "workspace.outbox",
        "workspace.space",
        "workspace.grant",
        "workspace.project_table",
        "workspace.analysis",
        "workspace.output",
        "workspace.release_request",
        "workspace.requested_output",
        "workspace.review",
        "workspace.session",
    }
    await asyncio.to_thread(migrations.downgrade, "workspace", empty_database)
    assert await run(empty_database, TABLES) == ["workspace.alembic_version"]
    await asyncio.to_thread(migrations.upgrade, "workspace", empty_database)

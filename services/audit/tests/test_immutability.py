"""Acceptance 2 (second half): with triggers on, the database refuses to rewrite the log,
even for a superuser."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from .heads import SignedHead

Headers = Callable[..., dict[str, str]]
Draft = Callable[..., dict[str, Any]]
STATEMENTS = [
    "UPDATE audit.entry SET actor = 'mallory' WHERE seq = 1",
    "DELETE FROM audit.entry WHERE seq = 1",
    "TRUNCATE audit.entry CASCADE",
    "UPDATE audit.tree_node SET hash = '\\x00' WHERE level = 0 AND idx = 1",
    "DELETE FROM audit.tree_node",
    "TRUNCATE audit.tree_node",
    "UPDATE audit.tree_head SET tree_size = 99",
    "DELETE FROM audit.tree_head",
    "TRUNCATE audit.tree_head CASCADE",
    "DELETE FROM audit.signing_key",
    "TRUNCATE audit.signing_key CASCADE",
    "UPDATE audit.checkpoint SET key_id = 0",
    "DELETE FROM audit.checkpoint",
    "TRUNCATE audit.checkpoint",
]


@pytest.fixture
async def logged(
    client: httpx.AsyncClient, as_role: Headers, draft: Draft, signed_head: SignedHead
) -> None:
    for n in range(3):
        await client.post("/audit/entries", json=draft(n), headers=as_role("system"))
    await signed_head(client, size=3)
    assert (await client.get("/audit/checkpoint", headers=as_role("auditor"))).status_code == 200


@pytest.mark.usefixtures("logged")
async def test_rewrites_are_refused(engine: AsyncEngine) -> None:
    before = await counts(engine)
    for statement in STATEMENTS:
        with pytest.raises(DBAPIError, match="append-only"):
            async with engine.begin() as connection:
                await connection.execute(sa.text(statement))
    assert await counts(engine) == before
    assert before[0] == 3


async def counts(engine: AsyncEngine) -> list[int]:
    async with engine.connect() as connection:
        return [
            int(await connection.scalar(sa.text(f"SELECT count(*) FROM audit.{table}")) or 0)
            for table in ("entry", "tree_node", "tree_head", "signing_key", "checkpoint")
        ]


async def test_an_empty_table_may_be_truncated(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(sa.text("TRUNCATE audit.entry, audit.tree_node"))

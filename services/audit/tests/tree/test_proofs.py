"""Proofs from the stored tree: equal to the in-memory tree's, for every size, in O(log n) reads."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from audit.entries import service as entries
from audit.entries.schemas import EntryCreate
from audit.merkle import MemoryTree, verify_consistency, verify_inclusion
from audit.tree import service
from audit.tree.repository import TreeRepository

Draft = Callable[..., dict[str, Any]]
Headers = Callable[..., dict[str, str]]
SIZE = 70
CHECKED_SIZES = (1, 2, 3, 4, 5, 7, 8, 13, 21, 32, 34, 55, 64, 69, 70)


@pytest.fixture
async def log(sessionmaker: async_sessionmaker[AsyncSession], draft: Draft) -> MemoryTree:
    """A stored log of ``SIZE`` entries appended in uneven batches, and the same tree in memory."""
    reference = MemoryTree()
    numbers = list(range(SIZE))
    for start, end in ((0, 1), (1, 5), (5, 6), (6, 40), (40, SIZE)):
        async with sessionmaker.begin() as session:
            batch = [EntryCreate.model_validate(draft(n)) for n in numbers[start:end]]
            for receipt in await entries.append(session, batch):
                reference.append(bytes.fromhex(receipt.leaf_hash))
    return reference


async def test_every_proof_matches_the_memory_tree(
    log: MemoryTree, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session:
        for size in CHECKED_SIZES:
            root = await service.root(session, size=size)
            assert root == log.root(size)
            for index in range(size):
                proof = await service.inclusion(session, index=index, size=size)
                hashes = [bytes.fromhex(h) for h in proof.hashes]
                assert hashes == log.inclusion_proof(index, size)
                leaf = bytes.fromhex(proof.leaf_hash)
                verify_inclusion(index=index, size=size, leaf=leaf, proof=hashes, root=root)
            for first in range(1, size + 1):
                consistency = await service.consistency(session, first=first, second=size)
                verify_consistency(
                    old_size=first,
                    new_size=size,
                    old_root=log.root(first),
                    new_root=root,
                    proof=[bytes.fromhex(h) for h in consistency.hashes],
                )


async def test_a_proof_reads_logarithmically_many_nodes(
    log: MemoryTree, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    statements: list[str] = []
    fetched: list[int] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    original = TreeRepository.nodes

    async def counting(self: TreeRepository, wanted: Any) -> dict[Any, bytes]:
        found = await original(self, wanted)
        fetched.append(len(found))
        return found

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    TreeRepository.nodes = counting  # type: ignore[method-assign]
    try:
        async with sessionmaker() as session:
            await service.inclusion(session, index=37, size=SIZE - 1)
            await service.consistency(session, first=37, second=SIZE - 1)
    finally:
        TreeRepository.nodes = original  # type: ignore[method-assign]
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert len(statements) == 2  # one read per proof: all its nodes at once
    assert all(count <= 2 * (SIZE - 1).bit_length() for count in fetched)


async def test_proof_endpoints(client: httpx.AsyncClient, as_role: Headers, draft: Draft) -> None:
    for n in range(5):
        await client.post("/audit/entries", json=draft(n), headers=as_role("system"))
    reader = as_role("researcher")
    by_index = await client.get(
        "/audit/proofs/inclusion", params={"leaf_index": 2, "tree_size": 5}, headers=reader
    )
    by_id = await client.get(
        "/audit/proofs/inclusion", params={"entry_id": "evt-2", "tree_size": 5}, headers=reader
    )
    assert by_index.status_code == 200 and by_index.json() == by_id.json()
    latest = await client.get("/audit/proofs/inclusion", params={"leaf_index": 2}, headers=reader)
    assert latest.json() == by_index.json()
    assert set(by_index.json()) == {"leaf_index", "tree_size", "leaf_hash", "hashes"}
    consistency = await client.get(
        "/audit/proofs/consistency", params={"first": 3, "second": 5}, headers=reader
    )
    assert consistency.json()["first"] == 3 and len(consistency.json()["hashes"]) == 4
    for params in (
        {"leaf_index": 5, "tree_size": 5},
        {"leaf_index": 0, "tree_size": 6},
        {"tree_size": 5},
        {"leaf_index": 5},
    ):
        refused = await client.get("/audit/proofs/inclusion", params=params, headers=reader)
        assert refused.status_code == 400, params
    unknown = await client.get(
        "/audit/proofs/inclusion", params={"entry_id": "nope", "tree_size": 5}, headers=reader
    )
    assert unknown.status_code == 404
    for first, second in ((0, 5), (4, 3), (1, 6)):
        refused = await client.get(
            "/audit/proofs/consistency", params={"first": first, "second": second}, headers=reader
        )
        assert refused.status_code == 400

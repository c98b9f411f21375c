"""Appending directly through the service: receipts, idempotence, the tree it builds."""

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from audit.entries import service
from audit.entries.schemas import EntryCreate
from audit.merkle import MemoryTree
from audit.tree import service as tree


async def test_batches_extend_the_tree_like_the_memory_tree(
    sessionmaker: async_sessionmaker[AsyncSession], draft: Callable[..., dict[str, Any]]
) -> None:
    reference = MemoryTree()
    for batch in ([0], [1, 2], [3, 4, 5, 6, 7, 8, 9], list(range(10, 33))):
        async with sessionmaker.begin() as session:
            receipts = await service.append(
                session, [EntryCreate.model_validate(draft(n)) for n in batch]
            )
        assert [r.leaf_index for r in receipts] == batch
        for receipt in receipts:
            reference.append(bytes.fromhex(receipt.leaf_hash))
    async with sessionmaker() as session:
        for size in range(0, 34):
            assert await tree.root(session, size=min(size, 33)) == reference.root(min(size, 33))


async def test_an_event_id_is_appended_once(
    sessionmaker: async_sessionmaker[AsyncSession], draft: Callable[..., dict[str, Any]]
) -> None:
    first = EntryCreate.model_validate(draft(1))
    async with sessionmaker.begin() as session:
        [a, b, c] = await service.append(
            session, [first, first, EntryCreate.model_validate(draft(2))]
        )
    async with sessionmaker.begin() as session:
        [again] = await service.append(session, [first])
    assert (a.leaf_index, b.leaf_index, c.leaf_index) == (0, 0, 1)
    assert not a.duplicate and b.duplicate is False and again.duplicate
    assert again.leaf_hash == a.leaf_hash
    async with sessionmaker() as session:
        assert await tree.current_size(session) == 2

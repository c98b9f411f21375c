"""Roots and proofs for any tree size up to the current one, from O(log n) stored nodes."""

from sqlalchemy.ext.asyncio import AsyncSession

from audit.entries.repository import EntryRepository
from audit.errors import EntryNotFound, UnknownTreeSize
from audit.merkle import (
    EMPTY_ROOT,
    CompactRange,
    Node,
    consistency_ranges,
    inclusion_ranges,
    nodes_for_ranges,
    range_hash,
)
from audit.merkle.tree import frontier
from audit.tree.repository import TreeRepository
from audit.tree.schemas import ConsistencyProof, InclusionProof


async def current_size(session: AsyncSession) -> int:
    return await TreeRepository(session).size()


async def root(session: AsyncSession, *, size: int) -> bytes:
    if size == 0:
        return EMPTY_ROOT
    nodes = await TreeRepository(session).nodes(frontier(size))
    return CompactRange.from_nodes(size=size, nodes=nodes).root()


async def _fetch(repository: TreeRepository, wanted: set[Node], *, size: int) -> dict[Node, bytes]:
    """The nodes, all present exactly when the log has reached ``size`` (they cover leaf
    ``size - 1``): one read, no separate size check."""
    nodes = await repository.nodes(wanted)
    if len(nodes) < len(wanted):
        current = await repository.size()
        raise UnknownTreeSize(f"The log has {current} entries; no tree of size {size} yet.")
    return nodes


async def inclusion(session: AsyncSession, *, index: int, size: int) -> InclusionProof:
    if not 0 <= index < size:
        raise UnknownTreeSize(f"Leaf {index} is not in a tree of size {size}.")
    ranges = inclusion_ranges(index, size)
    wanted = nodes_for_ranges(ranges) | {Node(0, index)}
    nodes = await _fetch(TreeRepository(session), wanted, size=size)
    return InclusionProof(
        leaf_index=index,
        tree_size=size,
        leaf_hash=nodes[Node(0, index)].hex(),
        hashes=[range_hash(start, end, nodes).hex() for start, end in ranges],
    )


async def consistency(session: AsyncSession, *, first: int, second: int) -> ConsistencyProof:
    if not 0 < first <= second:
        raise UnknownTreeSize("A consistency proof needs 0 < first <= second.")
    ranges = consistency_ranges(first, second)
    wanted = nodes_for_ranges(ranges) | set(frontier(second))
    nodes = await _fetch(TreeRepository(session), wanted, size=second)
    hashes = [range_hash(start, end, nodes).hex() for start, end in ranges]
    return ConsistencyProof(first=first, second=second, hashes=hashes)


async def inclusion_of(
    session: AsyncSession, *, leaf_index: int | None, entry_id: str | None, size: int | None
) -> InclusionProof:
    """By leaf index, or by the event id of the entry."""
    if (leaf_index is None) == (entry_id is None):
        raise UnknownTreeSize("Give exactly one of leaf_index and entry_id.")
    if entry_id is not None:
        leaf_index = await EntryRepository(session).seq_of(entry_id)
        if leaf_index is None:
            raise EntryNotFound(f"No audit entry with event id {entry_id}.")
    assert leaf_index is not None
    if size is None:
        size = await TreeRepository(session).size()
    return await inclusion(session, index=leaf_index, size=size)

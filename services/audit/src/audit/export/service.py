from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from audit.entries.document import entry_document
from audit.entries.repository import EntryRepository
from audit.entries.schemas import EntryFilter
from audit.errors import UnknownTreeSize
from audit.export.formats import ExportFormat, ExportRow, encoder_for
from audit.tree import service as tree

BATCH_ROWS = 2_000


async def resolve_size(session: AsyncSession, requested: int | None) -> int:
    current = await tree.current_size(session)
    if requested is None:
        return current
    if requested > current:
        raise UnknownTreeSize(f"The log has {current} entries; no tree of size {requested} yet.")
    return requested


async def stream(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    where: EntryFilter,
    size: int,
    export_format: ExportFormat,
) -> AsyncIterator[bytes]:
    """The export, in chunks of ``BATCH_ROWS`` rows, from its own read-only transaction."""
    encoder = encoder_for(export_format)
    yield encoder.header()
    batch: list[ExportRow] = []
    async with sessionmaker() as session:
        rows = EntryRepository(session).stream_with_tree_leaves(where=where, size=size)
        async for entry, leaf in rows:
            document = entry_document(entry)
            batch.append({"leaf_index": entry["seq"], "leaf_hash": leaf.hex(), "entry": document})
            if len(batch) >= BATCH_ROWS:
                yield encoder.batch(batch)
                batch = []
    if batch:
        yield encoder.batch(batch)
    yield encoder.close()

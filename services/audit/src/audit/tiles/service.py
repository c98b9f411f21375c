"""Tiles from the stored complete subtrees: the ``i``-th hash of tile ``N`` at level ``L`` is
the subtree of ``256**L`` leaves at index ``N * 256 + i``, i.e. node ``(8 L, N * 256 + i)``.
Entry bundles: each entry's RFC 8785 JSON (what its leaf hash covers), uint16-length prefixed."""

import struct

from sqlalchemy.ext.asyncio import AsyncSession

from audit.canonical import canonical_json
from audit.entries.document import entry_document
from audit.entries.repository import EntryRepository
from audit.errors import EntryTooLargeForBundle, TileNotFound
from audit.tiles.paths import TILE_HEIGHT, TILE_WIDTH, Tile
from audit.tree.repository import TreeRepository

MAX_BUNDLED_ENTRY = 0xFFFF


async def hash_tile(session: AsyncSession, *, level: int, tile: Tile) -> bytes:
    start = tile.index * TILE_WIDTH
    hashes = await TreeRepository(session).level_range(
        level=level * TILE_HEIGHT, start=start, end=start + tile.width
    )
    if len(hashes) != tile.width:
        raise TileNotFound(f"The tree has no tile {tile.index} of width {tile.width} at {level}.")
    return b"".join(hashes)


async def entry_bundle(session: AsyncSession, *, tile: Tile) -> bytes:
    start = tile.index * TILE_WIDTH
    rows = await EntryRepository(session).range(start=start, end=start + tile.width)
    if len(rows) != tile.width:
        raise TileNotFound(f"The log has no entry bundle {tile.index} of width {tile.width}.")
    parts = []
    for row in rows:
        document = canonical_json(entry_document(row))
        if len(document) > MAX_BUNDLED_ENTRY:
            raise EntryTooLargeForBundle(
                f"Entry {row['seq']} is {len(document)} bytes, more than an entry bundle holds;"
                f" read it at /audit/entries/{row['seq']}."
            )
        parts.append(struct.pack(">H", len(document)) + document)
    return b"".join(parts)

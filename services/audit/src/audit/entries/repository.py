from collections.abc import AsyncIterator
from typing import Any, TypeVarTuple

from sqlalchemy import RowMapping, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from audit.db import copy_records
from audit.entries.models import Entry
from audit.entries.schemas import EntryFilter
from audit.tree.models import TreeNode
from hdh_common.pagination import keyset

STREAM_CHUNK = 2_000
# A prepared row holds every column but ``seq``, the payload as JSON text and the leaf hash last.
ROW_COLUMNS = (
    *(c.name for c in Entry.__table__.columns if c.name not in ("seq", "payload", "leaf_hash")),
    "payload",
    "leaf_hash",
)
COPY_COLUMNS = ("seq", *ROW_COLUMNS)
Ts = TypeVarTuple("Ts")


class EntryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, seq: int) -> Entry | None:
        return await self.session.get(Entry, seq)

    async def seq_of(self, event_id: str) -> int | None:
        return await self.session.scalar(select(Entry.seq).where(Entry.event_id == event_id))

    async def range(self, *, start: int, end: int) -> list[RowMapping]:
        """The entries ``start`` to ``end - 1`` that exist, as column mappings, in order."""
        query = select(Entry.__table__).where(Entry.seq >= start, Entry.seq < end)
        return list((await self.session.execute(query.order_by(Entry.seq))).mappings())

    async def add_many(self, records: list[tuple[Any, ...]]) -> None:
        """COPY rows of :data:`COPY_COLUMNS`, in the session's transaction: several times faster
        than INSERT for batches."""
        if records:
            await copy_records(self.session, "entry", columns=COPY_COLUMNS, records=records)

    async def page(self, *, where: EntryFilter, cursor: str | None, limit: int) -> list[Entry]:
        query = keyset(_filtered(select(Entry), where), Entry.seq, cursor=cursor, limit=limit)
        return list(await self.session.scalars(query))

    async def stream_with_tree_leaves(
        self, *, where: EntryFilter, size: int
    ) -> AsyncIterator[tuple[RowMapping, bytes]]:
        """Entries below ``size`` (as column mappings, no ORM objects: an export is large)
        with the leaf hash the *tree* holds for their index."""
        query = (
            _filtered(select(Entry.__table__, TreeNode.hash.label("tree_leaf")), where)
            .join(TreeNode, (TreeNode.level == 0) & (TreeNode.idx == Entry.seq))
            .where(Entry.seq < size)
            .order_by(Entry.seq)
            .execution_options(yield_per=STREAM_CHUNK)
        )
        result = await self.session.stream(query)
        async for row in result.mappings():
            yield row, row["tree_leaf"]


def _filtered(query: Select[*Ts], where: EntryFilter) -> Select[*Ts]:
    for column in (
        "actor",
        "action",
        "resource_type",
        "resource_id",
        "project",
        "outcome",
        "request_id",
    ):
        value = getattr(where, column)
        if value is not None:
            query = query.where(getattr(Entry, column) == value)
    if where.since is not None:
        query = query.where(Entry.time >= where.since)
    if where.until is not None:
        query = query.where(Entry.time < where.until)
    return query

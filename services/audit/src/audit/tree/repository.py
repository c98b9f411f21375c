from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from audit.db import copy_records
from audit.merkle import Node, NodeRow
from audit.tree.models import TreeNode

# pg_advisory_xact_lock key of the appenders: one transaction at a time extends the tree.
APPEND_LOCK = 0x61756469  # "audi"
NODES_QUERY = text(
    "SELECT n.level, n.idx, n.hash FROM audit.tree_node AS n"
    " JOIN unnest(CAST(:levels AS smallint[]), CAST(:indexes AS bigint[])) AS w(level, idx)"
    " ON n.level = w.level AND n.idx = w.idx"
)
BEGIN_APPEND = text("SELECT * FROM audit.begin_append(:lock_key, CAST(:event_ids AS text[]))")


@dataclass(frozen=True, slots=True)
class AppendStart:
    """What an appender holding the lock starts from."""

    size: int
    peaks: list[bytes]
    """The hashes of :func:`audit.merkle.tree.frontier` of ``size``, left to right."""
    logged: dict[str, tuple[int, bytes]]
    """Sequence number and leaf hash of the event ids asked about that are already logged."""


class TreeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_for_append(self, event_ids: list[str]) -> AppendStart:
        """Queue for the append lock (held until the transaction ends), then read the state
        it protects: one round trip (the ``audit.begin_append`` function)."""
        row = (
            await self.session.execute(
                BEGIN_APPEND, {"lock_key": APPEND_LOCK, "event_ids": event_ids}
            )
        ).one()
        size, peaks = int(row.size), list(row.peaks or [])
        if len(peaks) != size.bit_count():
            raise LookupError(f"the tree of size {size} misses nodes of its right edge")
        logged = zip(row.logged_seqs or [], row.logged_leaves or [], strict=True)
        return AppendStart(size, peaks, dict(zip(row.logged_ids or [], logged, strict=True)))

    async def size(self) -> int:
        last = await self.session.scalar(select(func.max(TreeNode.idx)).where(TreeNode.level == 0))
        return 0 if last is None else int(last) + 1

    async def nodes(self, wanted: Iterable[Node]) -> dict[Node, bytes]:
        """One statement of fixed text whatever the count, so the server keeps it prepared."""
        nodes = list(wanted)
        if not nodes:
            return {}
        rows = await self.session.execute(
            NODES_QUERY,
            {"levels": [n.level for n in nodes], "indexes": [n.index for n in nodes]},
        )
        return {Node(level, idx): hash_ for level, idx, hash_ in rows}

    async def level_range(self, *, level: int, start: int, end: int) -> list[bytes]:
        """The hashes of the nodes ``start`` to ``end - 1`` of a level that exist, in order."""
        query = (
            select(TreeNode.hash)
            .where(TreeNode.level == level, TreeNode.idx >= start, TreeNode.idx < end)
            .order_by(TreeNode.idx)
        )
        return list(await self.session.scalars(query))

    async def add(self, rows: list[NodeRow]) -> None:
        if rows:
            await copy_records(
                self.session, "tree_node", columns=("level", "idx", "hash"), records=rows
            )

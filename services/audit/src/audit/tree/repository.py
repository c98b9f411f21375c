from collections.abc import Iterable

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from audit.db import copy_records
from audit.merkle import Node
from audit.tree.models import TreeNode

# pg_advisory_xact_lock key of the appenders: one transaction at a time extends the tree.
APPEND_LOCK = 0x61756469  # "audi"
NODES_QUERY = text(
    "SELECT n.level, n.idx, n.hash FROM audit.tree_node AS n"
    " JOIN unnest(CAST(:levels AS smallint[]), CAST(:indexes AS bigint[])) AS w(level, idx)"
    " ON n.level = w.level AND n.idx = w.idx"
)


class TreeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_for_append(self) -> None:
        await self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK})

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

    async def add(self, nodes: list[tuple[Node, bytes]]) -> None:
        if nodes:
            records = [(node.level, node.index, digest) for node, digest in nodes]
            await copy_records(
                self.session, "tree_node", columns=("level", "idx", "hash"), records=records
            )

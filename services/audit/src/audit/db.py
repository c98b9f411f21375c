from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase

from hdh_common.db import schema_metadata
from hdh_common.outbox import MessagingTables, Outbox

SCHEMA = "audit"
IMMUTABLE_TABLES = ("entry", "tree_node", "tree_head", "signing_key", "checkpoint", "cosignature")


class Base(DeclarativeBase):
    metadata = schema_metadata(SCHEMA)


messaging = MessagingTables(Base.metadata)
outbox = Outbox(messaging, service=SCHEMA)


def load_models() -> None:
    """Import every model module, so that the metadata knows all tables (Alembic, tests)."""
    from audit.checkpoints import models as _checkpoints  # noqa: F401
    from audit.entries import models as _entries  # noqa: F401
    from audit.tree import models as _tree  # noqa: F401
    from audit.treeheads import models as _treeheads  # noqa: F401


async def copy_records(
    session: AsyncSession, table: str, *, columns: Sequence[str], records: list[tuple[Any, ...]]
) -> None:
    """``COPY`` rows into one of the schema's tables, inside the session's transaction."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    await driver.copy_records_to_table(
        table, schema_name=SCHEMA, columns=list(columns), records=records
    )

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.dictionary.models import DatasetTable, Variable
from catalog.uploads.models import DatasetVersion


@dataclass(frozen=True)
class TableColumns:
    table: DatasetTable
    variables: list[Variable]


@dataclass
class Holdings:
    """What the catalogue holds about a dataset beyond its record: tables and versions."""

    tables: list[TableColumns] = field(default_factory=list)
    latest_rows: dict[str, int] = field(default_factory=dict)
    validated_versions: int = 0
    last_validated: datetime | None = None

    @property
    def row_count(self) -> int | None:
        """Rows of the latest validated version of each table, when any was validated."""
        return sum(self.latest_rows.values()) if self.latest_rows else None


class DcatRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def holdings(self, dataset_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Holdings]:
        found: dict[uuid.UUID, Holdings] = {d: Holdings() for d in dataset_ids}
        if not dataset_ids:
            return found
        await self._tables(found)
        await self._versions(found)
        return found

    async def _tables(self, found: dict[uuid.UUID, Holdings]) -> None:
        tables = list(
            await self.session.scalars(
                select(DatasetTable)
                .where(DatasetTable.dataset_id.in_(list(found)))
                .order_by(DatasetTable.dataset_id, DatasetTable.position, DatasetTable.name)
            )
        )
        columns: dict[uuid.UUID, list[Variable]] = defaultdict(list)
        if tables:
            query = (
                select(Variable)
                .where(Variable.table_id.in_([t.id for t in tables]))
                .order_by(Variable.table_id, Variable.position)
            )
            for variable in await self.session.scalars(query):
                columns[variable.table_id].append(variable)
        for table in tables:
            found[table.dataset_id].tables.append(TableColumns(table, columns[table.id]))

    async def _versions(self, found: dict[uuid.UUID, Holdings]) -> None:
        query = (
            select(
                DatasetVersion.dataset_id,
                DatasetVersion.table_name,
                DatasetVersion.row_count,
                DatasetVersion.created_at,
            )
            .where(DatasetVersion.dataset_id.in_(list(found)))
            .where(DatasetVersion.status == "validated")
            .order_by(DatasetVersion.number)
        )
        for dataset_id, table, rows, created_at in await self.session.execute(query):
            holdings = found[dataset_id]
            holdings.latest_rows[table] = rows
            holdings.validated_versions += 1
            if holdings.last_validated is None or created_at > holdings.last_validated:
                holdings.last_validated = created_at

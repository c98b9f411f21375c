import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.dictionary.models import DatasetTable, ForeignKeyRelation, Variable
from hdh_common.pagination import keyset


class DictionaryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def tables(self, dataset_id: uuid.UUID) -> list[tuple[DatasetTable, int]]:
        """Every table of the dataset with its number of variables, by name."""
        query = _tables(dataset_id).order_by(DatasetTable.name)
        return [(table, n) for table, n in (await self.session.execute(query)).all()]

    async def table_page(
        self, dataset_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> list[tuple[DatasetTable, int]]:
        query = keyset(_tables(dataset_id), DatasetTable.name, cursor=cursor, limit=limit)
        return [(table, n) for table, n in (await self.session.execute(query)).all()]

    async def table(self, dataset_id: uuid.UUID, name: str) -> DatasetTable | None:
        query = select(DatasetTable).where(
            DatasetTable.dataset_id == dataset_id, DatasetTable.name == name
        )
        return await self.session.scalar(query)

    async def variables(self, table_ids: Sequence[uuid.UUID]) -> list[Variable]:
        query = (
            select(Variable)
            .where(Variable.table_id.in_(table_ids))
            .order_by(Variable.table_id, Variable.position)
        )
        return list(await self.session.scalars(query))

    async def variable_page(
        self, table_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> list[Variable]:
        query = select(Variable).where(Variable.table_id == table_id)
        query = keyset(query, Variable.position, cursor=cursor, limit=limit)
        return list(await self.session.scalars(query))

    async def foreign_keys(self, table_ids: Sequence[uuid.UUID]) -> list[ForeignKeyRelation]:
        query = (
            select(ForeignKeyRelation)
            .where(ForeignKeyRelation.table_id.in_(table_ids))
            .order_by(ForeignKeyRelation.table_id, ForeignKeyRelation.position)
        )
        return list(await self.session.scalars(query))

    async def delete_tables(self, table_ids: Sequence[uuid.UUID]) -> None:
        if table_ids:
            await self.session.execute(delete(DatasetTable).where(DatasetTable.id.in_(table_ids)))

    async def add_tables(
        self,
        tables: list[dict[str, Any]],
        variables: list[dict[str, Any]],
        foreign_keys: list[dict[str, Any]],
    ) -> None:
        for model, rows in (
            (DatasetTable, tables),
            (Variable, variables),
            (ForeignKeyRelation, foreign_keys),
        ):
            if rows:
                await self.session.execute(insert(model), rows)


def _tables(dataset_id: uuid.UUID) -> Select[DatasetTable, int]:
    count = (
        select(func.count(Variable.id))
        .where(Variable.table_id == DatasetTable.id)
        .scalar_subquery()
    )
    return select(DatasetTable, count).where(DatasetTable.dataset_id == dataset_id)

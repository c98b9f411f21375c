import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.dictionary.models import DatasetTable, ForeignKeyRelation, Variable


class DictionaryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def tables(
        self, dataset_id: uuid.UUID, *, after: str | None = None, limit: int | None = None
    ) -> list[tuple[DatasetTable, int]]:
        count = (
            select(func.count(Variable.id))
            .where(Variable.table_id == DatasetTable.id)
            .scalar_subquery()
        )
        query = (
            select(DatasetTable, count)
            .where(DatasetTable.dataset_id == dataset_id)
            .order_by(DatasetTable.name)
        )
        if after is not None:
            query = query.where(DatasetTable.name > after)
        if limit is not None:
            query = query.limit(limit)
        return [(table, n) for table, n in (await self.session.execute(query)).all()]

    async def table(self, dataset_id: uuid.UUID, name: str) -> DatasetTable | None:
        query = select(DatasetTable).where(
            DatasetTable.dataset_id == dataset_id, DatasetTable.name == name
        )
        return await self.session.scalar(query)

    async def variables(
        self, table_ids: Sequence[uuid.UUID], *, after: int | None = None, limit: int | None = None
    ) -> list[Variable]:
        query = (
            select(Variable)
            .where(Variable.table_id.in_(table_ids))
            .order_by(Variable.table_id, Variable.position)
        )
        if after is not None:
            query = query.where(Variable.position > after)
        if limit is not None:
            query = query.limit(limit)
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

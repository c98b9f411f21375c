import uuid
from collections.abc import Collection
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from access.catalog_refs.models import DatasetRef, VariableRef
from access.register.models import SEARCH_CONFIGURATION, RegisterEntry
from access.register.schemas import RegisterFilters
from access.register.search import fold
from hdh_common.pagination import keyset

CONFIGURATION: ColumnElement[Any] = literal_column(f"'{SEARCH_CONFIGURATION}'::regconfig")


class RegisterRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, request_id: uuid.UUID) -> RegisterEntry | None:
        return await self.session.get(RegisterEntry, request_id)

    async def put(self, entry: RegisterEntry) -> None:
        await self.session.merge(entry)

    async def dataset_titles(self, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
        rows = await self.session.execute(
            select(DatasetRef.id, DatasetRef.title).where(DatasetRef.id.in_(ids))
        )
        return {row.id: row.title for row in rows}

    async def variables(
        self, ids: Collection[uuid.UUID]
    ) -> dict[tuple[uuid.UUID, str, str], VariableRef]:
        """The catalogue's variables of the datasets ``ids``, by dataset, table and name."""
        query = select(VariableRef).where(VariableRef.dataset_id.in_(ids))
        rows = await self.session.scalars(query)
        return {(v.dataset_id, v.table_name, v.name): v for v in rows}

    async def page(
        self, filters: RegisterFilters, *, cursor: str | None, limit: int
    ) -> list[RegisterEntry]:
        query = keyset(
            _filtered(select(RegisterEntry), filters),
            RegisterEntry.published_at,
            RegisterEntry.request_id,
            cursor=cursor,
            limit=limit,
            descending=True,
        )
        return list(await self.session.scalars(query))


def _filtered(
    query: Select[tuple[RegisterEntry]], filters: RegisterFilters
) -> Select[tuple[RegisterEntry]]:
    if filters.q is not None:
        words = func.websearch_to_tsquery(CONFIGURATION, fold(filters.q))
        query = query.where(RegisterEntry.search_document.bool_op("@@")(words))
    if filters.organisation is not None:
        query = query.where(RegisterEntry.organisation == filters.organisation)
    if filters.dataset is not None:
        contains = [{"dataset_id": str(filters.dataset)}]
        query = query.where(RegisterEntry.datasets.contains(contains))
    if filters.status is not None:
        query = query.where(RegisterEntry.status == filters.status)
    if filters.year is not None:
        year = filters.year
        query = query.where(RegisterEntry.decided_on.between(date(year, 1, 1), date(year, 12, 31)))
    return query

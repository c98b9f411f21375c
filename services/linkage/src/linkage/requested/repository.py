import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from hdh_common.pagination import keyset
from linkage.requested.models import LinkTable


class LinkTableRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, table: LinkTable) -> LinkTable:
        self.session.add(table)
        await self.session.flush()
        return table

    async def remove_for_grant(self, grant_id: uuid.UUID) -> list[str]:
        result = await self.session.execute(
            delete(LinkTable).where(LinkTable.grant_id == grant_id).returning(LinkTable.object_key)
        )
        return [row[0] for row in result]

    async def page(
        self,
        *,
        project_id: uuid.UUID,
        grant_ids: list[uuid.UUID] | None,
        cursor: str | None,
        limit: int,
    ) -> list[LinkTable]:
        """The project's link tables (of these grants only, unless None), newest first."""
        query = select(LinkTable).where(LinkTable.project_id == project_id)
        if grant_ids is not None:
            query = query.where(LinkTable.grant_id.in_(grant_ids))
        query = keyset(
            query, LinkTable.created_at, LinkTable.id, cursor=cursor, limit=limit, descending=True
        )
        return list(await self.session.scalars(query))

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from hdh_common.pagination import keyset
from linkage.project_data.models import ProjectData


class ProjectDataRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_if_new(self, record: ProjectData) -> bool:
        values = {c.key: getattr(record, c.key) for c in ProjectData.__table__.columns}
        values = {k: v for k, v in values.items() if v is not None}
        statement = insert(ProjectData).values(**values).on_conflict_do_nothing()
        result = await self.session.execute(statement.returning(ProjectData.id))
        return result.first() is not None

    async def get(self, upload_id: uuid.UUID) -> ProjectData | None:
        return await self.session.get(ProjectData, upload_id, populate_existing=True)

    async def page(
        self, project_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> list[ProjectData]:
        query = select(ProjectData).where(ProjectData.project_id == project_id)
        query = keyset(
            query,
            ProjectData.created_at,
            ProjectData.id,
            cursor=cursor,
            limit=limit,
            descending=True,
        )
        return list(await self.session.scalars(query))

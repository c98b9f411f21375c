import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from access.projects.models import Project, ProjectMember
from hdh_common.pagination import keyset


class ProjectRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, project_id: uuid.UUID) -> Project | None:
        return await self.session.scalar(
            select(Project).where(Project.id == project_id).options(selectinload(Project.members))
        )

    async def add(self, project: Project) -> Project:
        self.session.add(project)
        await self.session.flush()
        return project

    async def page(self, *, member: str | None, cursor: str | None, limit: int) -> list[Project]:
        query = select(Project).options(selectinload(Project.members))
        if member is not None:
            query = query.where(
                Project.id.in_(
                    select(ProjectMember.project_id).where(ProjectMember.subject == member)
                )
            )
        query = keyset(query, Project.created_at, Project.id, cursor=cursor, limit=limit)
        return list(await self.session.scalars(query))

    async def refresh(self, project: Project) -> Project:
        await self.session.flush()
        await self.session.refresh(project, attribute_names=["updated_at", "members"])
        return project

import uuid
from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from hdh_common.pagination import keyset
from workspace.spaces.models import LIVE, ProjectTable, Space, SpaceGrant


class SpaceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, project_id: uuid.UUID) -> Space | None:
        return await self.session.get(Space, project_id, populate_existing=True)

    async def add(self, space: Space) -> Space:
        self.session.add(space)
        await self.session.flush()
        return space

    async def page(self, *, member: str | None, cursor: str | None, limit: int) -> list[Space]:
        """Spaces newest first: those ``member`` belongs to now, or all when None."""
        query = select(Space)
        if member is not None:
            query = query.where(Space.members.contains([member]))
        query = keyset(
            query, Space.opened_at, Space.project_id, cursor=cursor, limit=limit, descending=True
        )
        return list(await self.session.scalars(query))

    async def set_member(self, project_id: uuid.UUID, subject: str, *, member: bool) -> None:
        """Add ``subject`` to the members, or move them to the former members (idempotent)."""
        members = func.array_remove(Space.members, subject)
        former = func.array_remove(Space.former_members, subject)
        if member:
            members = func.array_append(members, subject)
        else:
            former = func.array_append(former, subject)
        await self.session.execute(
            update(Space)
            .where(Space.project_id == project_id)
            .values(members=members, former_members=former)
        )


class GrantRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_if_new(self, grant: SpaceGrant) -> bool:
        values = {c.key: getattr(grant, c.key) for c in SpaceGrant.__table__.columns}
        values = {k: v for k, v in values.items() if v is not None}
        statement = insert(SpaceGrant).values(**values).on_conflict_do_nothing()
        result = await self.session.execute(statement.returning(SpaceGrant.id))
        return result.first() is not None

    async def get(self, grant_id: uuid.UUID) -> SpaceGrant | None:
        return await self.session.get(SpaceGrant, grant_id, populate_existing=True)

    async def get_many(self, grant_ids: list[uuid.UUID]) -> list[SpaceGrant]:
        query = select(SpaceGrant).where(SpaceGrant.id.in_(grant_ids))
        return list(await self.session.scalars(query.execution_options(populate_existing=True)))

    async def live(self, project_id: uuid.UUID, *, now: datetime) -> list[SpaceGrant]:
        query = select(SpaceGrant).where(
            SpaceGrant.project_id == project_id,
            SpaceGrant.status == LIVE,
            SpaceGrant.expires_at > now,
        )
        query = query.order_by(SpaceGrant.issued_at).execution_options(populate_existing=True)
        return list(await self.session.scalars(query))


class TableRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, table: ProjectTable) -> ProjectTable:
        self.session.add(table)
        await self.session.flush()
        return table

    async def page(
        self, project_id: uuid.UUID, *, grant_ids: list[uuid.UUID], cursor: str | None, limit: int
    ) -> list[ProjectTable]:
        query = select(ProjectTable).where(
            ProjectTable.project_id == project_id, ProjectTable.grant_id.in_(grant_ids)
        )
        query = keyset(query, ProjectTable.name, ProjectTable.id, cursor=cursor, limit=limit)
        return list(await self.session.scalars(query))

    async def of_grants(
        self, project_id: uuid.UUID, grant_ids: list[uuid.UUID]
    ) -> list[ProjectTable]:
        """The tables under these grants, the newest registration of each name first."""
        query = select(ProjectTable).where(
            ProjectTable.project_id == project_id, ProjectTable.grant_id.in_(grant_ids)
        )
        return list(await self.session.scalars(query.order_by(ProjectTable.registered_at.desc())))

    async def remove_for_grant(self, grant_id: uuid.UUID, *, extract_only: bool = False) -> int:
        """The grant's tables, and the analysis results computed under it; with
        ``extract_only``, not the project's own data loaded under it (a new extract replaces
        what an extract brought)."""
        own = ProjectTable.grant_id == grant_id
        if extract_only:
            own = and_(own, ProjectTable.dataset_id.is_not(None))
        result = await self.session.execute(
            delete(ProjectTable)
            .where(or_(own, ProjectTable.derived_from.contains([grant_id])))
            .returning(ProjectTable.id)
        )
        return len(result.all())

    async def remove_for_project(self, project_id: uuid.UUID) -> int:
        result = await self.session.execute(
            delete(ProjectTable)
            .where(ProjectTable.project_id == project_id)
            .returning(ProjectTable.id)
        )
        return len(result.all())

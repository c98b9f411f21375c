"""Reading a space is decided on live state at each request: hub staff read every space's
metadata; a researcher reads a space they belong to now, under a live grant that the access
service confirms now. A space the caller never belonged to does not exist for them (404)."""

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from hdh_common.errors import NotFound
from hdh_common.identity import Principal, Role
from hdh_common.pagination import Page
from hdh_common.readers import confirm_reader
from hdh_common.service_client import ServiceClient
from workspace.errors import AccessEnded
from workspace.spaces import schemas
from workspace.spaces.models import CLOSED, ProjectTable, Space, SpaceGrant
from workspace.spaces.repository import GrantRepository, SpaceRepository, TableRepository


async def page(
    session: AsyncSession, principal: Principal, *, cursor: str | None, limit: int
) -> Page[schemas.Space]:
    member = None if Role.HUB_STAFF in principal.roles else principal.subject
    rows = await SpaceRepository(session).page(member=member, cursor=cursor, limit=limit)
    return Page.from_rows(
        rows,
        limit,
        key=lambda s: (s.opened_at, s.project_id),
        convert=schemas.Space.model_validate,
    )


async def detail(
    session: AsyncSession, access: ServiceClient, principal: Principal, project_id: uuid.UUID
) -> schemas.SpaceDetail:
    space, grants = await readable(session, access, principal, project_id)
    return schemas.SpaceDetail(
        **schemas.Space.model_validate(space).model_dump(),
        grants=[schemas.Grant.model_validate(g) for g in grants],
    )


async def tables(
    session: AsyncSession,
    access: ServiceClient,
    principal: Principal,
    *,
    project_id: uuid.UUID,
    cursor: str | None,
    limit: int,
) -> Page[schemas.Table]:
    _, grants = await readable(session, access, principal, project_id)
    by_id = {g.id: g for g in grants}
    rows = await TableRepository(session).page(
        project_id, grant_ids=list(by_id), cursor=cursor, limit=limit
    )
    return Page.from_rows(
        rows,
        limit,
        key=lambda t: (t.name, t.id),
        convert=lambda t: _table(t, by_id[t.grant_id]),
    )


def _table(table: ProjectTable, grant: SpaceGrant) -> schemas.Table:
    """The table as registered, with the period of the grant it came with."""
    return schemas.Table(
        id=table.id,
        project_id=table.project_id,
        grant_id=table.grant_id,
        dataset_id=table.dataset_id,
        name=table.name,
        columns=[schemas.Column.model_validate(c) for c in table.columns],
        rows=table.rows,
        key_version=table.key_version,
        period_start=grant.period_start,
        period_end=grant.period_end,
        registered_at=table.registered_at,
    )


async def readable(
    session: AsyncSession,
    access: ServiceClient,
    principal: Principal,
    project_id: uuid.UUID,
    *,
    members_only: bool = False,
) -> tuple[Space, list[SpaceGrant]]:
    """The space and its live grants, if the caller may read it now (hub staff read every
    space's metadata, unless ``members_only``: the project's data is its members' alone)."""
    space = await SpaceRepository(session).get(project_id)
    staff = Role.HUB_STAFF in principal.roles and not members_only
    known = space is not None and principal.subject in (space.members + space.former_members)
    if space is None or not (staff or known):
        raise NotFound(f"No project space {project_id}.")
    grants = await GrantRepository(session).live(project_id, now=datetime.now(UTC))
    if staff:
        return space, grants
    if principal.subject not in space.members:
        raise AccessEnded("You are no longer a member of this project.")
    if space.status == CLOSED or not grants:
        raise AccessEnded("The project holds no live grant.")
    for grant in grants:
        await confirm_reader(access, grant_id=grant.id, subject=principal.subject)
    return space, grants

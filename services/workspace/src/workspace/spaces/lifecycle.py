"""How the space follows the project: every change comes from an access or linkage event,
takes effect in the consumer's transaction, and is published for the audit trail."""

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from workspace.db import outbox
from workspace.events import (
    ACCESS_ENDED,
    SPACE_CLOSED,
    SPACE_MEMBER_ADDED,
    SPACE_MEMBER_REMOVED,
    SPACE_OPENED,
    TABLE_REGISTERED,
    AccessEnded,
    ExtractCompleted,
    ExtractedTable,
    GrantEnded,
    GrantIssued,
    MemberChanged,
    ProjectClosed,
    ProjectDataLoaded,
    SpaceClosed,
    SpaceOpened,
    TableRegistered,
)
from workspace.spaces.models import CLOSED, LIVE, OPEN, ProjectTable, Space, SpaceGrant
from workspace.spaces.repository import GrantRepository, SpaceRepository, TableRepository

PARIS = ZoneInfo("Europe/Paris")


def end_of(last_day: date) -> datetime:
    """The instant access ends: midnight in Paris after the grant's last day."""
    return datetime.combine(last_day + timedelta(days=1), time(), tzinfo=PARIS)


async def _publish(
    session: AsyncSession, type_: str, subject: uuid.UUID, payload: BaseModel, actor: str | None
) -> None:
    data: dict[str, Any] = payload.model_dump(mode="json")
    await outbox.publish(session, type=type_, subject=str(subject), data=data, actor=actor)


async def grant_issued(session: AsyncSession, payload: GrantIssued, *, actor: str | None) -> None:
    """Record the grant and open the project's space (or reopen it) with its members."""
    grant = SpaceGrant(
        id=payload.grant_id,
        project_id=payload.project_id,
        status=LIVE,
        period_start=payload.period_start,
        period_end=payload.period_end,
        expires_at=end_of(payload.expires_on),
    )
    if not await GrantRepository(session).add_if_new(grant):
        return
    spaces = SpaceRepository(session)
    space = await spaces.get(payload.project_id)
    if space is None:
        space = await spaces.add(
            Space(project_id=payload.project_id, members=[], former_members=[])
        )
    space.status, space.closed_at = OPEN, None
    space.members = sorted(set(space.members) | set(payload.members))
    space.former_members = [m for m in space.former_members if m not in payload.members]
    opened = SpaceOpened(
        project_id=space.project_id, grant_id=grant.id, members=list(space.members)
    )
    await _publish(session, SPACE_OPENED, space.project_id, opened, actor)


async def extract_completed(
    session: AsyncSession, payload: ExtractCompleted, *, actor: str | None
) -> int:
    """Register the extract's tables in the space (replacing an earlier extract of the same
    grant); nothing when the grant has ended. The grant may not be known yet: the extract
    comes on another topic than the grant. Returns how many were registered."""
    grant = await GrantRepository(session).get(payload.grant_id)
    if grant is not None and grant.status != LIVE:
        return 0
    await TableRepository(session).remove_for_grant(payload.grant_id, extract_only=True)
    for extracted in payload.tables:
        await _register(session, _table(payload, extracted), actor)
    return len(payload.tables)


async def project_data_loaded(
    session: AsyncSession, payload: ProjectDataLoaded, *, actor: str | None
) -> bool:
    """Register the project's own data as a table of its space, under the grant it was
    loaded with (it leaves with that grant); nothing when the grant has ended."""
    grant = await GrantRepository(session).get(payload.grant_id)
    if grant is not None and grant.status != LIVE:
        return False
    table = ProjectTable(
        project_id=payload.project_id,
        grant_id=payload.grant_id,
        dataset_id=None,
        name=payload.table,
        columns=[c.model_dump() for c in payload.columns],
        rows=payload.rows,
        key_version=payload.key_version,
        bucket=payload.bucket,
        object_key=payload.object_key,
    )
    await _register(session, table, actor)
    return True


async def _register(session: AsyncSession, table: ProjectTable, actor: str | None) -> None:
    await TableRepository(session).add(table)
    registered = TableRegistered(
        project_id=table.project_id,
        grant_id=table.grant_id,
        table_id=table.id,
        name=table.name,
        rows=table.rows,
        key_version=table.key_version,
    )
    await _publish(session, TABLE_REGISTERED, table.project_id, registered, actor)


def _table(extract: ExtractCompleted, extracted: ExtractedTable) -> ProjectTable:
    return ProjectTable(
        project_id=extract.project_id,
        grant_id=extract.grant_id,
        dataset_id=extracted.dataset_id,
        name=extracted.table,
        columns=[c.model_dump() for c in extracted.columns],
        rows=extracted.rows,
        key_version=extract.key_version,
        bucket=extracted.bucket,
        object_key=extracted.object_key,
    )


async def grant_ended(session: AsyncSession, payload: GrantEnded, *, status: str) -> None:
    """Revoked, expired, superseded or ended: the grant's tables leave the space at once."""
    grant = await GrantRepository(session).get(payload.grant_id)
    if grant is None or grant.status != LIVE:
        return
    grant.status = status
    removed = await TableRepository(session).remove_for_grant(grant.id)
    ended = AccessEnded(
        project_id=grant.project_id, grant_id=grant.id, status=status, tables_removed=removed
    )
    await _publish(session, ACCESS_ENDED, grant.project_id, ended, None)


async def member_changed(
    session: AsyncSession, payload: MemberChanged, *, added: bool, actor: str | None
) -> None:
    await SpaceRepository(session).set_member(payload.project_id, payload.subject, member=added)
    type_ = SPACE_MEMBER_ADDED if added else SPACE_MEMBER_REMOVED
    await _publish(session, type_, payload.project_id, payload, actor)


async def project_closed(session: AsyncSession, payload: ProjectClosed) -> None:
    """The space closes and its tables are unregistered (the objects stay linkage's)."""
    space = await SpaceRepository(session).get(payload.project_id)
    if space is None or space.status == CLOSED:
        return
    space.status, space.closed_at = CLOSED, datetime.now(UTC)
    removed = await TableRepository(session).remove_for_project(space.project_id)
    closed = SpaceClosed(project_id=space.project_id, tables_removed=removed)
    await _publish(session, SPACE_CLOSED, space.project_id, closed, None)

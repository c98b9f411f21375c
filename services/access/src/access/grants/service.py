"""Grants: issued when data preparation starts; ended by expiry, revocation or closure.

The grant is what the linkage service builds the project's extract from (the datasets,
the variables allowed, the period, who may read it); the extract delivered
(``hdh.linkage.extract.completed.v1``) is what moves the request on to ``active``.
"""

import calendar
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from access.calendar.legal_clock import legal_day
from access.db import outbox
from access.events import PROJECT_CLOSED, GrantChanged, GrantEvent, ProjectClosed
from access.grants import schemas
from access.grants.models import Grant, GrantStatus
from access.grants.repository import GrantRepository
from access.projects.models import member_role
from access.projects.repository import ProjectRepository
from access.register import service as register
from access.requests.models import AccessRequest
from hdh_common.errors import Conflict, Forbidden, NotFound
from hdh_common.identity import Principal, Role
from hdh_common.pagination import Page

READ_ALL = (Role.HUB_STAFF, Role.AUDITOR, Role.SYSTEM)


def add_months(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


async def issue(
    session: AsyncSession,
    request: AccessRequest,
    *,
    members: list[str],
    now: datetime,
    actor: str,
) -> Grant:
    today = legal_day(now)
    grant = Grant(
        request_id=request.id,
        project_id=request.project_id,
        datasets=await _granted_datasets(session, request),
        linkage=list(request.linkage),
        period_start=request.period_start,
        period_end=request.period_end,
        expires_on=add_months(today, request.expected_duration_months),
        status=GrantStatus.ACTIVE,
        issued_at=now,
    )
    await GrantRepository(session).add(grant)
    await _emit(session, grant, GrantEvent.ISSUED, actor, members=members)
    if request.amends_id is not None:
        previous = await GrantRepository(session).for_request(request.amends_id)
        if previous is not None and previous.status == GrantStatus.ACTIVE:
            await _end(
                session,
                previous,
                status=GrantStatus.SUPERSEDED,
                reason=f"amended by {request.id}",
                now=now,
                actor=actor,
            )
    return grant


async def _granted_datasets(session: AsyncSession, request: AccessRequest) -> list[dict[str, Any]]:
    """The variables asked for, and each table's event dates as the catalogue declares them
    now: the period applies to those; a table with none is granted whole."""
    dates = await GrantRepository(session).event_dates([d.dataset_id for d in request.datasets])
    return [
        {
            "dataset_id": str(d.dataset_id),
            "variables": [{"table": v["table"], "name": v["name"]} for v in d.variables],
            "event_dates": {
                table: dates.get((d.dataset_id, table), [])
                for table in dict.fromkeys(v["table"] for v in d.variables)
            },
        }
        for d in request.datasets
    ]


async def _emit(
    session: AsyncSession,
    grant: Grant,
    type_: GrantEvent,
    actor: str,
    *,
    members: list[str] | None = None,
) -> None:
    event = GrantChanged.model_validate(
        schemas.Grant.model_validate(grant).model_dump()
        | {"grant_id": grant.id, "members": members}
    )
    await outbox.publish(
        session,
        type=type_,
        subject=str(grant.project_id),
        data=event.model_dump(mode="json", exclude={"members"} if members is None else None),
        actor=actor,
    )


async def reissue(
    session: AsyncSession, request: AccessRequest, *, members: list[str], actor: str
) -> Grant:
    """After a failed preparation: the same grant announced again, so that its extract is
    built again (consumers take an issued grant they know as a new attempt)."""
    grant = await GrantRepository(session).for_request(request.id)
    if grant is None or grant.status != GrantStatus.ACTIVE:
        raise Conflict("The request holds no live grant to prepare again.")
    await _emit(session, grant, GrantEvent.ISSUED, actor, members=members)
    return grant


async def _end(
    session: AsyncSession,
    grant: Grant,
    *,
    status: GrantStatus,
    reason: str,
    now: datetime,
    actor: str,
) -> None:
    grant.status, grant.end_reason, grant.ended_at = status, reason, now
    await session.flush()
    await _emit(session, grant, GrantEvent.ending_as(status), actor)


async def end_for(
    session: AsyncSession, request: AccessRequest, *, reason: str, now: datetime, actor: str
) -> None:
    """Closure or withdrawal ends the grant; ``grant.ended`` has the extract removed."""
    grant = await GrantRepository(session).for_request(request.id)
    if grant is not None and grant.status == GrantStatus.ACTIVE:
        await _end(session, grant, status=GrantStatus.ENDED, reason=reason, now=now, actor=actor)


async def close_project_if_done(
    session: AsyncSession, request: AccessRequest, *, actor: str
) -> None:
    """A closed request that leaves its project no live grant closes the project:
    ``hdh.access.project.closed.v1`` has the linkage service destroy the project's
    pseudonym key, so whatever was extracted can never again be linked to anything."""
    if await GrantRepository(session).any_active(request.project_id):
        return
    closed = ProjectClosed(project_id=request.project_id, request_id=request.id)
    await outbox.publish(
        session,
        type=PROJECT_CLOSED,
        subject=str(request.project_id),
        data=closed.model_dump(mode="json"),
        actor=actor,
    )


async def revoke(
    session: AsyncSession, principal: Principal, grant: Grant, *, reason: str, now: datetime
) -> Grant:
    if grant.status != GrantStatus.ACTIVE:
        raise Conflict(f"The grant is already {grant.status}.", current_status=grant.status)
    actor = principal.subject
    await _end(session, grant, status=GrantStatus.REVOKED, reason=reason, now=now, actor=actor)
    await register.update_status(session, grant.request_id, status="revoked", now=now)
    return grant


async def expire_due(session: AsyncSession, *, now: datetime, actor: str) -> int:
    grants = await GrantRepository(session).due_for_expiry(legal_day(now))
    for grant in grants:
        await _end(
            session,
            grant,
            status=GrantStatus.EXPIRED,
            reason="expiry date passed",
            now=now,
            actor=actor,
        )
        await register.update_status(session, grant.request_id, status="expired", now=now)
    return len(grants)


async def get_readable(
    session: AsyncSession, principal: Principal, grant_id: uuid.UUID, *, lock: bool = False
) -> Grant:
    grant = await GrantRepository(session).get(grant_id, lock=lock)
    if grant is not None and not principal.has_any(*READ_ALL):
        project = await ProjectRepository(session).get(grant.project_id)
        if project is None or member_role(project, principal.subject) is None:
            grant = None
    if grant is None:
        raise NotFound(f"No grant with id {grant_id}.")
    return grant


async def reader_rights(
    session: AsyncSession, grant_id: uuid.UUID, subject: str, *, now: datetime
) -> schemas.ReaderRights:
    """Live: the grant active and not past its last day, ``subject`` a member right now."""
    grant = await GrantRepository(session).get(grant_id)
    reason = None
    if grant is None:
        reason = "There is no such grant."
    elif grant.status != GrantStatus.ACTIVE:
        reason = f"The grant is {grant.status}."
    elif grant.expires_on < legal_day(now):
        reason = "The grant is past its last day."
    else:
        project = await ProjectRepository(session).get(grant.project_id)
        if project is None or member_role(project, subject) is None:
            reason = "Not a member of the project now."
    return schemas.ReaderRights(
        grant_id=grant_id,
        project_id=grant.project_id if grant else None,
        subject=subject,
        allowed=reason is None,
        reason=reason,
    )


async def page(
    session: AsyncSession, principal: Principal, *, cursor: str | None, limit: int
) -> Page[schemas.Grant]:
    if not principal.has_any(Role.RESEARCHER, *READ_ALL):
        raise Forbidden("Only researchers, hub staff, auditors and systems list grants.")
    member = None if principal.has_any(*READ_ALL) else principal.subject
    rows = await GrantRepository(session).page(member=member, cursor=cursor, limit=limit)
    return Page.from_rows(
        rows, limit, key=lambda g: (g.issued_at, g.id), convert=schemas.Grant.model_validate
    )

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from hdh_common.errors import Forbidden, NotFound
from hdh_common.identity import Principal, Role
from hdh_common.pagination import Page
from hdh_common.readers import confirm_reader
from hdh_common.service_client import ServiceClient
from hdh_common.storage import ObjectStore
from linkage.db import outbox
from linkage.events import (
    DOMAIN_KEY_DESTROYED,
    EXTRACT_DOWNLOADED,
    EXTRACT_REMOVED,
    ExtractDownloaded,
    ExtractRemoved,
    GrantEnded,
    GrantIssued,
    MemberChanged,
    ProjectClosed,
)
from linkage.extracts import schemas
from linkage.extracts.models import LIVE, ExtractFile, Grant
from linkage.extracts.repository import ExtractFileRepository, GrantRepository
from linkage.jobs import service as jobs
from linkage.jobs.models import EXTRACT
from linkage.keys import service as keys

PROJECTS = "projects"
PARIS = ZoneInfo("Europe/Paris")


def object_key(
    project_id: uuid.UUID, grant_id: uuid.UUID, dataset_id: uuid.UUID, table: str
) -> str:
    return f"{project_id}/grants/{grant_id}/{dataset_id}/{table}.parquet"


def end_of(last_day: date) -> datetime:
    """The instant access ends: midnight in Paris after the grant's last day."""
    return datetime.combine(last_day + timedelta(days=1), time(), tzinfo=PARIS)


async def grant_issued(session: AsyncSession, payload: GrantIssued, *, actor: str) -> None:
    """Record the grant (who may read what) and queue its extract."""
    grant = Grant(
        id=payload.grant_id,
        request_id=payload.request_id,
        project_id=payload.project_id,
        members=list(payload.members),
        datasets=[d.model_dump(mode="json") for d in payload.datasets],
        period_start=payload.period_start,
        period_end=payload.period_end,
        expires_at=end_of(payload.expires_on),
        status=LIVE,
    )
    await GrantRepository(session).upsert(grant)
    params = {
        "grant_id": str(payload.grant_id),
        "request_id": str(payload.request_id),
        "project_id": str(payload.project_id),
    }
    await jobs.queue(session, kind=EXTRACT, params=params, actor=actor)


async def grant_ended(
    session: AsyncSession, store: ObjectStore, payload: GrantEnded, *, status: str
) -> None:
    """Revocation or expiry: the grant stops opening anything and its files are removed."""
    grant = await GrantRepository(session).get(payload.grant_id)
    if grant is None:
        return
    grant.status = status
    removed = await ExtractFileRepository(session).remove_for_grant(grant.id)
    for key in removed:
        await store.delete(PROJECTS, key)
    event = ExtractRemoved(grant_id=grant.id, project_id=grant.project_id, files=len(removed))
    await outbox.publish(
        session,
        type=EXTRACT_REMOVED,
        subject=str(grant.id),
        data=event.model_dump(mode="json"),
        actor=None,
    )


async def project_closed(session: AsyncSession, payload: ProjectClosed) -> None:
    """Destroy the project's key: its extracts can never again be linked to anything."""
    domain = keys.project_domain(payload.project_id)
    await keys.destroy_if_any(session, domain)
    await outbox.publish(
        session,
        type=DOMAIN_KEY_DESTROYED,
        subject=domain,
        data={"domain": domain},
        actor=None,
    )


async def member_changed(session: AsyncSession, payload: MemberChanged, *, added: bool) -> None:
    await GrantRepository(session).set_member(payload.project_id, payload.subject, member=added)


async def _member_grants(
    session: AsyncSession, principal: Principal, project_id: uuid.UUID
) -> list[Grant]:
    if Role.RESEARCHER not in principal.roles:
        return []
    return await GrantRepository(session).live_for_member(
        project_id, principal.subject, now=datetime.now(UTC)
    )


async def page(
    session: AsyncSession,
    access: ServiceClient,
    principal: Principal,
    *,
    project_id: uuid.UUID,
    cursor: str | None,
    limit: int,
) -> Page[schemas.ExtractFile]:
    grant_ids = await readable_grants(session, access, principal, project_id)
    rows = await ExtractFileRepository(session).page(
        project_id=project_id, grant_ids=grant_ids, cursor=cursor, limit=limit
    )
    return Page.from_rows(
        rows, limit, key=lambda f: (f.created_at, f.id), convert=schemas.ExtractFile.model_validate
    )


async def readable_grants(
    session: AsyncSession, access: ServiceClient, principal: Principal, project_id: uuid.UUID
) -> list[uuid.UUID] | None:
    """The grants whose files the caller reads, confirmed by the access service now; None
    for hub staff, who read every file of the project."""
    if Role.HUB_STAFF in principal.roles:
        return None
    grants = await _member_grants(session, principal, project_id)
    if not grants:
        raise Forbidden("Only members of the project holding a live grant see its extracts.")
    for grant in grants:
        await confirm_reader(access, grant_id=grant.id, subject=principal.subject)
    return [g.id for g in grants]


async def open_for_workspace(
    session: AsyncSession, principal: Principal, file_id: uuid.UUID
) -> ExtractFile:
    """The file, for the workspace service, while its grant is live; the read is recorded."""
    found = await ExtractFileRepository(session).get(file_id)
    if found is None:
        raise NotFound(f"No extract file with id {file_id}.")
    grant = await GrantRepository(session).get(found.grant_id)
    if grant is None or grant.status != LIVE or grant.expires_at <= datetime.now(UTC):
        raise Forbidden("The grant of this extract is no longer live.")
    event = ExtractDownloaded(
        file_id=found.id, grant_id=found.grant_id, project_id=found.project_id
    )
    await outbox.publish(
        session,
        type=EXTRACT_DOWNLOADED,
        subject=str(found.id),
        data=event.model_dump(mode="json"),
        actor=principal.subject,
    )
    return found

"""A project's own data, as the trusted third party handles it: recorded and queued when the
catalogue has validated it, followed by the project's members and hub staff."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from hdh_common.identity import Principal
from hdh_common.pagination import Page
from hdh_common.service_client import ServiceClient
from linkage.events import ProjectDataValidated
from linkage.extracts.service import readable_grants
from linkage.jobs import service as jobs
from linkage.jobs.models import PROJECT_DATA, Job
from linkage.project_data import schemas
from linkage.project_data.models import QUEUED, ProjectData
from linkage.project_data.repository import ProjectDataRepository


def object_key(project_id: uuid.UUID, upload_id: uuid.UUID, table: str) -> str:
    return f"{project_id}/data/{upload_id}/{table}.parquet"


async def validated(
    session: AsyncSession, payload: ProjectDataValidated, *, actor: str
) -> Job | None:
    """Record the validated file (``actor`` uploaded it) and queue its loading, once."""
    record = ProjectData(
        id=payload.upload_id,
        project_id=payload.project_id,
        grant_id=payload.grant_id,
        table_name=payload.table,
        landing_bucket=payload.bucket,
        landing_key=payload.object_key,
        columns=[c.model_dump(mode="json") for c in payload.columns],
        status=QUEUED,
        created_by=actor,
    )
    if not await ProjectDataRepository(session).add_if_new(record):
        return None
    params = {"upload_id": str(payload.upload_id), "project_id": str(payload.project_id)}
    return await jobs.queue(session, kind=PROJECT_DATA, params=params, actor=actor)


async def page(
    session: AsyncSession,
    access: ServiceClient,
    principal: Principal,
    *,
    project_id: uuid.UUID,
    cursor: str | None,
    limit: int,
) -> Page[schemas.ProjectData]:
    await readable_grants(session, access, principal, project_id)
    rows = await ProjectDataRepository(session).page(project_id, cursor=cursor, limit=limit)
    return Page.from_rows(
        rows, limit, key=lambda d: (d.created_at, d.id), convert=schemas.ProjectData.model_validate
    )

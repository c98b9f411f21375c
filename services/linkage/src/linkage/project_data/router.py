import uuid

from fastapi import APIRouter

from hdh_common.db import SessionDep
from hdh_common.errors import Forbidden, ServiceUnavailable, Unauthorized, problem_responses
from hdh_common.pagination import DEFAULT_LIMIT, CursorQuery, InvalidCursor, LimitQuery, Page
from hdh_common.service_client import ServiceClientDep
from linkage.dependencies import Reader
from linkage.project_data import schemas, service

router = APIRouter(prefix="/linkage/projects/{project_id}/data", tags=["project data"])


@router.get(
    "",
    response_model=Page[schemas.ProjectData],
    summary="The project's own data loaded into its space, and how it went, newest first",
    description="Each file a member uploaded: `queued`, `loaded` (a table of the project"
    " space) or `failed` with the reason. For members under a live grant and hub staff.",
    responses=problem_responses(Unauthorized, Forbidden, ServiceUnavailable, InvalidCursor),
)
async def list_project_data(
    project_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    access: ServiceClientDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[schemas.ProjectData]:
    return await service.page(
        session, access, principal, project_id=project_id, cursor=cursor, limit=limit
    )

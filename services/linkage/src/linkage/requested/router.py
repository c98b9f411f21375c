import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from hdh_common.db import SessionDep
from hdh_common.errors import Forbidden, ServiceUnavailable, Unauthorized, problem_responses
from hdh_common.pagination import DEFAULT_LIMIT, CursorQuery, InvalidCursor, LimitQuery, Page
from hdh_common.service_client import ServiceClientDep
from linkage.dependencies import Reader
from linkage.requested import schemas, service

router = APIRouter(prefix="/linkage/links", tags=["links"])


@router.get(
    "",
    response_model=Page[schemas.LinkTable],
    summary="The link tables of a project's extracts, with their quality reports, newest first",
    description="The linkages the access request asked for, run on the extract: each is a"
    " table of the project space (`link_1`…); its report holds only aggregates.",
    responses=problem_responses(Unauthorized, Forbidden, ServiceUnavailable, InvalidCursor),
)
async def list_links(
    project: Annotated[uuid.UUID, Query(description="Project id.")],
    session: SessionDep,
    principal: Reader,
    access: ServiceClientDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[schemas.LinkTable]:
    return await service.page(
        session, access, principal, project_id=project, cursor=cursor, limit=limit
    )

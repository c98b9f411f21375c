from fastapi import APIRouter, status

from access.errors import OrganisationMismatch
from access.projects import schemas, service
from access.projects.dependencies import ReadableProject
from hdh_common.db import SessionDep
from hdh_common.errors import Conflict, Forbidden, NotFound, Unauthorized, problem_responses
from hdh_common.identity import PrincipalDep, Researcher
from hdh_common.pagination import DEFAULT_LIMIT, CursorQuery, InvalidCursor, LimitQuery, Page

router = APIRouter(prefix="/access/projects", tags=["projects"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.Project,
    summary="Create a project (its creator becomes the principal investigator)",
    description="The project's organisation is the creator's, from their identity.",
    responses=problem_responses(Unauthorized, Forbidden, OrganisationMismatch),
)
async def create_project(
    payload: schemas.ProjectCreate, session: SessionDep, principal: Researcher
) -> schemas.Project:
    return service.to_schema(await service.create(session, principal, payload))


@router.get(
    "",
    response_model=Page[schemas.Project],
    summary="List the projects one belongs to (all of them for hub staff and auditors)",
    responses=problem_responses(Unauthorized, Forbidden, InvalidCursor),
)
async def list_projects(
    session: SessionDep,
    principal: PrincipalDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[schemas.Project]:
    return await service.page(session, principal, cursor=cursor, limit=limit)


@router.get(
    "/{project_id}",
    response_model=schemas.Project,
    summary="Get a project",
    responses=problem_responses(Unauthorized, NotFound),
)
async def get_project(project: ReadableProject) -> schemas.Project:
    return service.to_schema(project)


@router.patch(
    "/{project_id}",
    response_model=schemas.Project,
    summary="Edit a project (principal investigator or data manager)",
    responses=problem_responses(Unauthorized, Forbidden, NotFound),
)
async def update_project(
    payload: schemas.ProjectUpdate,
    project: ReadableProject,
    session: SessionDep,
    principal: PrincipalDep,
) -> schemas.Project:
    return service.to_schema(await service.update(session, principal, project, payload))


@router.post(
    "/{project_id}/members",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.Project,
    summary="Add a member (principal investigator)",
    responses=problem_responses(Unauthorized, Forbidden, NotFound, Conflict),
)
async def add_member(
    payload: schemas.MemberCreate,
    project: ReadableProject,
    session: SessionDep,
    principal: PrincipalDep,
) -> schemas.Project:
    return service.to_schema(await service.add_member(session, principal, project, payload))


@router.delete(
    "/{project_id}/members/{subject}",
    response_model=schemas.Project,
    summary="Remove a member (principal investigator)",
    responses=problem_responses(Unauthorized, Forbidden, NotFound, Conflict),
)
async def remove_member(
    subject: str, project: ReadableProject, session: SessionDep, principal: PrincipalDep
) -> schemas.Project:
    return service.to_schema(await service.remove_member(session, principal, project, subject))

import uuid

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from access.db import outbox
from access.errors import OrganisationMismatch
from access.events import (
    MEMBER_ADDED,
    MEMBER_REMOVED,
    PROJECT_CREATED,
    MemberAdded,
    MemberRemoved,
    ProjectCreated,
)
from access.projects import schemas
from access.projects.models import Project, ProjectMember, member_role
from access.projects.repository import ProjectRepository
from hdh_common.errors import Conflict, Forbidden, NotFound
from hdh_common.identity import Principal, Role
from hdh_common.pagination import Page

READ_ALL = (Role.HUB_STAFF, Role.AUDITOR)
EDITORS = ("pi", "data_manager")


def to_schema(project: Project) -> schemas.Project:
    return schemas.Project.model_validate(project)


async def create(
    session: AsyncSession, principal: Principal, payload: schemas.ProjectCreate
) -> Project:
    values = payload.model_dump() | {"organisation": _organisation(principal, payload)}
    project = Project(**values, created_by=principal.subject)
    project.members = [ProjectMember(subject=principal.subject, role="pi")]
    await ProjectRepository(session).add(project)
    created = ProjectCreated(
        project_id=project.id,
        organisation=project.organisation,
        principal_investigator=principal.subject,
    )
    await _publish(session, principal, PROJECT_CREATED, created, project_id=project.id)
    return await ProjectRepository(session).refresh(project)


async def _publish(
    session: AsyncSession,
    principal: Principal,
    type_: str,
    payload: BaseModel,
    *,
    project_id: uuid.UUID,
) -> None:
    await outbox.publish(
        session,
        type=type_,
        subject=str(project_id),
        data=payload.model_dump(mode="json"),
        actor=principal.subject,
    )


def _organisation(principal: Principal, payload: schemas.ProjectCreate) -> str:
    """The caller's own organisation: the register publishes it, so nobody names another."""
    if not principal.organisation:
        raise OrganisationMismatch("Your identity names no organisation to file a project under.")
    if payload.organisation not in (None, principal.organisation):
        raise OrganisationMismatch(
            f"A project is filed under your own organisation ({principal.organisation}).",
            organisation=principal.organisation,
        )
    return principal.organisation


async def get_readable(
    session: AsyncSession, principal: Principal, project_id: uuid.UUID
) -> Project:
    """The project if ``principal`` may know of it, else 404 (even if it exists)."""
    project = await ProjectRepository(session).get(project_id)
    if project is None or not can_read(principal, project):
        raise NotFound(f"No project with id {project_id}.")
    return project


def can_read(principal: Principal, project: Project) -> bool:
    return principal.has_any(*READ_ALL) or member_role(project, principal.subject) is not None


def ensure_role(principal: Principal, project: Project, allowed: tuple[str, ...]) -> None:
    if member_role(project, principal.subject) not in allowed:
        raise Forbidden(f"Only the project's {' or '.join(allowed)} may do this.")


async def update(
    session: AsyncSession, principal: Principal, project: Project, payload: schemas.ProjectUpdate
) -> Project:
    ensure_role(principal, project, EDITORS)
    for field, value in payload.model_dump(exclude_unset=True).items():
        if value is not None:
            setattr(project, field, value)
    project.version += 1
    return await ProjectRepository(session).refresh(project)


async def add_member(
    session: AsyncSession, principal: Principal, project: Project, payload: schemas.MemberCreate
) -> Project:
    ensure_role(principal, project, ("pi",))
    if member_role(project, payload.subject) is not None:
        raise Conflict(f"{payload.subject} is already a member of this project.")
    project.members.append(ProjectMember(subject=payload.subject, role=payload.role))
    project.version += 1
    added = MemberAdded(project_id=project.id, subject=payload.subject, role=payload.role)
    await _publish(session, principal, MEMBER_ADDED, added, project_id=project.id)
    return await ProjectRepository(session).refresh(project)


async def remove_member(
    session: AsyncSession, principal: Principal, project: Project, subject: str
) -> Project:
    ensure_role(principal, project, ("pi",))
    role = member_role(project, subject)
    if role is None:
        raise NotFound(f"{subject} is not a member of this project.")
    if role == "pi":
        raise Conflict("The principal investigator cannot be removed.")
    project.members = [m for m in project.members if m.subject != subject]
    project.version += 1
    removed = MemberRemoved(project_id=project.id, subject=subject)
    await _publish(session, principal, MEMBER_REMOVED, removed, project_id=project.id)
    return await ProjectRepository(session).refresh(project)


async def page(
    session: AsyncSession, principal: Principal, *, cursor: str | None, limit: int
) -> Page[schemas.Project]:
    if not principal.has_any(Role.RESEARCHER, *READ_ALL):
        raise Forbidden("Only researchers, hub staff and auditors list projects.")
    member = None if principal.has_any(*READ_ALL) else principal.subject
    rows = await ProjectRepository(session).page(member=member, cursor=cursor, limit=limit)
    return Page.from_rows(rows, limit, key=lambda p: (p.created_at, p.id), convert=to_schema)

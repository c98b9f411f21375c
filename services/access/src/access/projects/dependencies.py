import uuid
from typing import Annotated

from fastapi import Depends

from access.projects import service
from access.projects.models import Project
from hdh_common.db import SessionDep
from hdh_common.identity import PrincipalDep


async def readable_project(
    project_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> Project:
    return await service.get_readable(session, principal, project_id)


ReadableProject = Annotated[Project, Depends(readable_project)]

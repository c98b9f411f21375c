import uuid
from typing import Annotated

from fastapi import Depends

from access.requests import service
from access.requests.service import RequestInContext
from hdh_common.db import SessionDep
from hdh_common.identity import PrincipalDep


async def request_from_path(
    request_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> RequestInContext:
    return await service.get_in_context(session, principal, request_id)


RequestFromPath = Annotated[RequestInContext, Depends(request_from_path)]

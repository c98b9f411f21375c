import uuid
from typing import Annotated

from fastapi import APIRouter, Path, status

from hdh_common.db import SessionDep
from hdh_common.errors import Conflict, Forbidden, NotFound, Unauthorized, problem_responses
from hdh_common.identity import HubStaff
from hdh_common.pagination import DEFAULT_LIMIT, CursorQuery, InvalidCursor, LimitQuery, Page
from linkage.dependencies import MasterKeyDep
from linkage.keys import schemas, service

router = APIRouter(prefix="/linkage/domains", tags=["domains"])
DomainPath = Annotated[
    str, Path(pattern=r"^(central|project:[0-9a-f-]{36})$", examples=["central"])
]


@router.get(
    "",
    response_model=Page[schemas.Domain],
    summary="Pseudonym domains and their key versions, by domain name",
    responses=problem_responses(Unauthorized, Forbidden, InvalidCursor),
)
async def list_domains(
    session: SessionDep,
    principal: HubStaff,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[schemas.Domain]:
    return await service.domains(session, cursor=cursor, limit=limit)


@router.post(
    "/{domain}/rotate",
    response_model=schemas.Rotated,
    summary="Activate a new key version; outputs record the version they used",
    responses=problem_responses(Unauthorized, Forbidden, Conflict),
)
async def rotate_key(
    domain: DomainPath, session: SessionDep, principal: HubStaff, master: MasterKeyDep
) -> schemas.Rotated:
    version = await service.rotate(session, master, domain, actor=principal.subject)
    return schemas.Rotated(domain=domain, active_version=version)


@router.post(
    "/{domain}/destruction-requests",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.DestructionRequest,
    summary="Ask for a domain's keys to be destroyed (another hub staff member confirms)",
    responses=problem_responses(Unauthorized, Forbidden, NotFound, Conflict),
)
async def request_destruction(
    domain: DomainPath,
    payload: schemas.DestructionRequestCreate,
    session: SessionDep,
    principal: HubStaff,
) -> schemas.DestructionRequest:
    request = await service.request_destruction(
        session, domain, reason=payload.reason, actor=principal.subject
    )
    return schemas.DestructionRequest.model_validate(request)


@router.post(
    "/{domain}/destruction-requests/{request_id}/confirm",
    response_model=schemas.Destroyed,
    summary="Confirm another staff member's request: every key version is destroyed, for good",
    responses=problem_responses(Unauthorized, Forbidden, NotFound, Conflict),
)
async def confirm_destruction(
    domain: DomainPath, request_id: uuid.UUID, session: SessionDep, principal: HubStaff
) -> schemas.Destroyed:
    request, count = await service.confirm_destruction(
        session, domain, request_id, actor=principal.subject
    )
    return schemas.Destroyed(
        domain=domain,
        versions_destroyed=count,
        request=schemas.DestructionRequest.model_validate(request),
    )

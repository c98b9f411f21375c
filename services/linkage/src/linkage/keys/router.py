from typing import Annotated

from fastapi import APIRouter, Path

from hdh_common.db import SessionDep
from hdh_common.errors import Conflict, Forbidden, NotFound, Unauthorized, problem_responses
from linkage.dependencies import HubStaff, MasterKeyDep
from linkage.keys import schemas, service

router = APIRouter(prefix="/linkage/domains", tags=["domains"])
DomainPath = Annotated[
    str, Path(pattern=r"^(central|project:[0-9a-f-]{36})$", examples=["central"])
]


@router.get(
    "",
    response_model=list[schemas.Domain],
    summary="Pseudonym domains and their key versions",
    responses=problem_responses(Unauthorized, Forbidden),
)
async def list_domains(session: SessionDep, principal: HubStaff) -> list[schemas.Domain]:
    return await service.domains(session)


@router.post(
    "/{domain}/rotate",
    response_model=schemas.Rotated,
    summary="Activate a new key version; outputs record the version they used",
    responses=problem_responses(Unauthorized, Forbidden, Conflict),
)
async def rotate_key(
    domain: DomainPath, session: SessionDep, principal: HubStaff, master: MasterKeyDep
) -> schemas.Rotated:
    version = await service.rotate(session, master, domain)
    return schemas.Rotated(domain=domain, active_version=version)


@router.post(
    "/{domain}/destroy",
    response_model=schemas.Destroyed,
    summary="Destroy every key version of a domain, for good",
    responses=problem_responses(Unauthorized, Forbidden, NotFound),
)
async def destroy_key(
    domain: DomainPath, session: SessionDep, principal: HubStaff
) -> schemas.Destroyed:
    count = await service.destroy(session, domain)
    return schemas.Destroyed(domain=domain, versions_destroyed=count)

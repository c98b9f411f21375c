from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from audit.entries import service
from audit.entries.schemas import EntryAppend, EntryCreate, EntryFilter, EntryWithProof, Receipt
from hdh_common.db import SessionDep
from hdh_common.errors import (
    Forbidden,
    NotFound,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)
from hdh_common.identity import Auditor, System
from hdh_common.logs import request_id_var
from hdh_common.pagination import DEFAULT_LIMIT, CursorQuery, InvalidCursor, LimitQuery, Page

router = APIRouter(prefix="/audit/entries", tags=["entries"])
FilterQuery = Annotated[EntryFilter, Depends()]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=Receipt,
    summary="Append an entry (internal services); answers with its leaf index",
    description="The actor and source are the calling service, the time is the server's,"
    " the client IP the caller's connection: none of them comes from the body.",
    responses={
        200: {"model": Receipt, "description": "Already logged: the first receipt."},
        **problem_responses(Unauthorized, Forbidden, ValidationFailed),
    },
)
async def append_entry(
    payload: EntryAppend,
    session: SessionDep,
    principal: System,
    request: Request,
    response: Response,
) -> Receipt:
    entry = EntryCreate(
        **payload.model_dump(),
        actor=principal.subject,
        source=principal.subject,
        time=datetime.now(UTC),
        client_ip=request.client.host if request.client else None,
        request_id=principal.request_id or request_id_var.get(),
    )
    [receipt] = await service.append(session, [entry])
    if receipt.duplicate:
        response.status_code = status.HTTP_200_OK
    return receipt


@router.get(
    "",
    response_model=Page[EntryWithProof],
    summary="Search the log (auditors)",
    responses=problem_responses(Unauthorized, Forbidden, InvalidCursor),
)
async def search_entries(
    session: SessionDep,
    principal: Auditor,
    where: FilterQuery,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[EntryWithProof]:
    return await service.page(session, where=where, cursor=cursor, limit=limit)


@router.get(
    "/{seq}",
    response_model=EntryWithProof,
    summary="One entry as hashed into the tree (auditors)",
    responses=problem_responses(Unauthorized, Forbidden, NotFound),
)
async def get_entry(seq: int, session: SessionDep, principal: Auditor) -> EntryWithProof:
    return await service.get(session, seq)

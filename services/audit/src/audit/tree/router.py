from typing import Annotated

from fastapi import APIRouter, Query

from audit.errors import EntryNotFound, UnknownTreeSize
from audit.tree import service
from audit.tree.schemas import ConsistencyProof, InclusionProof
from hdh_common.db import SessionDep
from hdh_common.errors import Unauthorized, problem_responses
from hdh_common.identity import PrincipalDep

router = APIRouter(prefix="/audit/proofs", tags=["proofs"])
Size = Annotated[int, Query(ge=0)]


@router.get(
    "/inclusion",
    response_model=InclusionProof,
    summary="Inclusion proof of one leaf in a tree size (RFC 9162)",
    responses=problem_responses(Unauthorized, UnknownTreeSize, EntryNotFound),
)
async def inclusion_proof(
    session: SessionDep,
    principal: PrincipalDep,
    tree_size: Annotated[int | None, Query(ge=0, description="Default: the whole log.")] = None,
    leaf_index: Annotated[int | None, Query(ge=0)] = None,
    entry_id: Annotated[str | None, Query(max_length=64, description="An event id.")] = None,
) -> InclusionProof:
    return await service.inclusion_of(
        session, leaf_index=leaf_index, entry_id=entry_id, size=tree_size
    )


@router.get(
    "/consistency",
    response_model=ConsistencyProof,
    summary="Consistency proof between two tree sizes (RFC 9162)",
    responses=problem_responses(Unauthorized, UnknownTreeSize),
)
async def consistency_proof(
    session: SessionDep, principal: PrincipalDep, first: Size, second: Size
) -> ConsistencyProof:
    return await service.consistency(session, first=first, second=second)

from fastapi import APIRouter

from audit.dependencies import SignerDep
from audit.treeheads import service
from audit.treeheads.schemas import PublicKeys, SignedTreeHead
from hdh_common.db import SessionDep
from hdh_common.errors import Unauthorized, problem_responses
from hdh_common.identity import PrincipalDep

router = APIRouter(prefix="/audit", tags=["tree heads"])


@router.get(
    "/tree-head",
    response_model=SignedTreeHead,
    summary="The latest signed head of the log (heads are signed on a cadence)",
    responses=problem_responses(Unauthorized),
)
async def tree_head(
    session: SessionDep, principal: PrincipalDep, signer: SignerDep
) -> SignedTreeHead:
    return await service.latest(session, signer)


@router.get(
    "/keys",
    response_model=PublicKeys,
    summary="Public keys of tree heads, past ones included",
    responses=problem_responses(Unauthorized),
)
async def public_keys(session: SessionDep, principal: PrincipalDep) -> PublicKeys:
    return await service.keys(session)

from typing import Any

from fastapi import APIRouter, Response

from audit.checkpoints import service
from audit.dependencies import OriginDep, SignerDep
from hdh_common.db import SessionDep
from hdh_common.errors import Unauthorized, problem_responses
from hdh_common.identity import PrincipalDep

router = APIRouter(prefix="/audit", tags=["checkpoints"])
NOTE_TYPE = "text/plain; charset=utf-8"
TEXT: dict[int | str, dict[str, Any]] = {200: {"content": {NOTE_TYPE: {}}}}


@router.get(
    "/checkpoint",
    response_class=Response,
    summary="The latest tree head as a C2SP checkpoint (signed note), with the witnesses' "
    "cosignatures",
    description="c2sp.org/tlog-checkpoint: origin line, tree size, base64 root hash; signed "
    "by the log's Ed25519 note key (named as the origin), then cosigned (cosignature/v1) by "
    "the configured witnesses that checked it.",
    responses=TEXT | problem_responses(Unauthorized),
)
async def checkpoint(
    session: SessionDep, principal: PrincipalDep, signer: SignerDep, origin: OriginDep
) -> Response:
    note = await service.published(session, signer, origin=origin)
    return Response(note, media_type=NOTE_TYPE, headers={"Cache-Control": "no-store"})


@router.get(
    "/checkpoint/keys",
    response_class=Response,
    summary="The log's note verifier keys (vkeys), one per line, past ones included",
    responses=TEXT | problem_responses(Unauthorized),
)
async def verifier_keys(
    session: SessionDep, principal: PrincipalDep, origin: OriginDep
) -> Response:
    keys = await service.verifier_keys(session, origin=origin)
    return Response("".join(f"{key}\n" for key in keys), media_type=NOTE_TYPE)

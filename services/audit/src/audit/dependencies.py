from typing import Annotated, cast

from fastapi import Depends, Request

from audit.state import AuditState
from audit.treeheads.signing import Signer
from hdh_common.state import service_state


def _signer(request: Request) -> Signer:
    return cast(AuditState, service_state(request)).signer


SignerDep = Annotated[Signer, Depends(_signer)]

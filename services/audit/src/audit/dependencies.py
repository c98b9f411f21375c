from typing import Annotated

from fastapi import Depends, Request

from audit.treeheads.signing import Signer
from hdh_common.identity import Principal, Role, require_roles


def _signer(request: Request) -> Signer:
    signer: Signer = request.state.signer
    return signer


SignerDep = Annotated[Signer, Depends(_signer)]
Auditor = Annotated[Principal, Depends(require_roles(Role.AUDITOR))]
System = Annotated[Principal, Depends(require_roles(Role.SYSTEM))]

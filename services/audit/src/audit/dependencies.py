from typing import Annotated, cast

from fastapi import Depends, Request

from audit.state import AuditState
from audit.treeheads.signing import Signer
from hdh_common.state import service_state


def _state(request: Request) -> AuditState:
    return cast(AuditState, service_state(request))


def _signer(request: Request) -> Signer:
    return _state(request).signer


def _origin(request: Request) -> str:
    return _state(request).settings.log_origin


SignerDep = Annotated[Signer, Depends(_signer)]
OriginDep = Annotated[str, Depends(_origin)]
"""The origin line of the log's checkpoints (and its note key's name)."""

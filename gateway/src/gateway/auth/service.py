"""Who is calling: the verified token of a request, as a :class:`Principal`; logged by decision."""

import logging
from dataclasses import dataclass

from starlette.requests import Request

from gateway.auth.tokens import TokenRefused, TokenValidator, VerifiedToken, bearer_token
from hdh_common.identity import Principal
from hdh_common.logs import request_id_var

logger = logging.getLogger("hdh.gateway.auth")


@dataclass(frozen=True)
class Caller:
    principal: Principal
    token: VerifiedToken | None


ANONYMOUS = "anonymous"


async def authenticate(request: Request, *, validator: TokenValidator) -> Caller:
    """The caller of ``request``, or :class:`TokenRefused` (401). Never logs the token."""
    try:
        verified = await validator.verify(bearer_token(request.headers, request.query_params))
    except TokenRefused as refusal:
        logger.info(
            "token refused",
            extra={"decision": "refused", "reason": refusal.detail, "kid": refusal.kid},
        )
        raise
    principal = Principal(
        subject=verified.subject,
        roles=verified.roles,
        organisation=verified.organisation,
        request_id=request_id_var.get(),
    )
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "token accepted",
            extra={
                "decision": "accepted",
                "subject": verified.subject,
                "client": verified.client,
                "jti": verified.jti,
                "kid": verified.kid,
            },
        )
    return Caller(principal=principal, token=verified)


def anonymous() -> Caller:
    return Caller(
        principal=Principal(subject=ANONYMOUS, request_id=request_id_var.get()), token=None
    )

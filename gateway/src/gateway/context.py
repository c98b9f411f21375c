"""What the gateway learns about a request while handling it, for the request log."""

from dataclasses import dataclass, field

from starlette.types import Scope

SCOPE_KEY = "hdh.gateway.context"


@dataclass
class RequestContext:
    subject: str | None = None
    client: str | None = None
    token_id: str | None = None
    kid: str | None = None
    roles: list[str] = field(default_factory=list)
    service: str | None = None


def context_of(scope: Scope) -> RequestContext:
    context = scope.get(SCOPE_KEY)
    if not isinstance(context, RequestContext):
        context = RequestContext()
        scope[SCOPE_KEY] = context
    return context

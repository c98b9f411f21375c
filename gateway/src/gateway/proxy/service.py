"""The gateway's one job per request: authenticate, limit, mint the internal token, forward."""

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from gateway.auth.internal import InternalTokenMinter
from gateway.auth.service import Caller, anonymous, authenticate
from gateway.auth.tokens import TokenValidator, refuse_query_tokens
from gateway.context import context_of
from gateway.errors import RequestLogUnavailable, TooManyRequests
from gateway.proxy.forward import Upstream, forward
from gateway.proxy.routes import PublicRoutes, RouteRules, is_clean
from gateway.proxy.upstream import Timeouts, UpstreamPool
from gateway.ratelimit import TokenBuckets
from gateway.requestlog.log import RequestLog
from hdh_common.errors import BadRequest


@dataclass(frozen=True)
class Proxy:
    pool: UpstreamPool
    rules: RouteRules
    validator: TokenValidator
    signer: InternalTokenMinter
    subject_limits: TokenBuckets
    request_log: RequestLog
    connect_timeout: float
    retries: int
    public_routes: PublicRoutes

    async def handle(self, request: Request, *, service: str) -> Response:
        path = request.url.path
        if not is_clean(request.scope.get("raw_path", b"").decode("latin-1")):
            raise BadRequest("The path has dot segments or encoded separators.")
        caller = await self._caller(request)
        self._limit(caller)
        if self.rules.returns_health_data(path) and not self.request_log.has_room():
            raise RequestLogUnavailable(
                "The request log cannot record this request; health data is not served unlogged."
            )
        token = self.signer.sign(caller.principal, audience=service)
        return await forward(
            request,
            pool=self.pool,
            upstream=self._upstream(request, service),
            internal_token=token,
        )

    async def _caller(self, request: Request) -> Caller:
        context = context_of(request.scope)
        path = request.url.path
        if "authorization" not in request.headers and self.public_routes.admit(
            request.method, path
        ):
            refuse_query_tokens(request.query_params)
            caller = anonymous()
        else:
            caller = await authenticate(request, validator=self.validator)
        context.subject = caller.principal.subject
        context.client = caller.token.client if caller.token else None
        context.token_id = caller.token.jti if caller.token else None
        context.kid = caller.token.kid if caller.token else None
        context.roles = sorted(caller.principal.roles)
        return caller

    def _limit(self, caller: Caller) -> None:
        if caller.token is None:
            return
        wait = self.subject_limits.take(caller.principal.subject)
        if wait is not None:
            raise TooManyRequests("Too many requests for this subject.", retry_after=wait)

    def _upstream(self, request: Request, service: str) -> Upstream:
        path = request.url.path
        raw = request.scope.get("raw_path") or path.encode()
        query = request.scope.get("query_string", b"")
        url = f"{self.rules.services[service]}{raw.decode('latin-1')}"
        if query:
            url += f"?{query.decode('latin-1')}"
        return Upstream(
            service=service,
            url=url,
            timeouts=Timeouts(connect=self.connect_timeout, read=self.rules.timeout(path)),
            body_limit=self.rules.body_limit(path),
            retries=self.retries,
        )

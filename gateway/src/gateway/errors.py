"""The gateway's own problems, in the common error tree."""

from hdh_common.errors import AppError, ServiceUnavailable


class BadGateway(AppError):
    status, slug, title = 502, "bad-gateway", "Service unreachable"


class ServiceDown(ServiceUnavailable):
    """A service that cannot be reached at all (stopped, restarting): retry shortly."""


class GatewayTimeout(AppError):
    status, slug, title = 504, "gateway-timeout", "Service timed out"


class ClientClosedRequest(AppError):
    status, slug, title = 499, "client-closed-request", "Client closed the request"


class TooManyRequests(AppError):
    status, slug, title = 429, "too-many-requests", "Too many requests"

    def __init__(self, detail: str | None = None, *, retry_after: int) -> None:
        super().__init__(detail)
        self.headers["Retry-After"] = str(retry_after)


class RequestLogUnavailable(ServiceUnavailable):
    slug, title = "request-log-unavailable", "Request log unavailable"


class OidcError(AppError):
    """An OAuth 2 error of the dev issuer: problem+json that also carries ``error``."""

    status, slug, title = 400, "oidc-error", "OIDC request refused"

    def __init__(self, error: str, detail: str) -> None:
        super().__init__(detail, error=error, error_description=detail)


class OidcClientRefused(OidcError):
    status, slug, title = 401, "oidc-client-refused", "OIDC client authentication failed"

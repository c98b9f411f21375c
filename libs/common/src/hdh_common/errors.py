"""One error tree, rendered as RFC 9457 ``application/problem+json``.

Problem ``type`` values are stable relative URIs (``/problems/<slug>``); the gateway serves
their descriptions at that path.
"""

import json
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError, InterfaceError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from hdh_common.logs import request_id_var
from hdh_common.storage import StorageUnavailable

PROBLEM_MEDIA_TYPE = "application/problem+json"


def problem_type(slug: str) -> str:
    return f"/problems/{slug}"


class Problem(BaseModel):
    """An RFC 9457 problem detail."""

    type: str = Field(examples=["/problems/not-found"])
    title: str = Field(examples=["Not found"])
    status: int = Field(examples=[404])
    detail: str | None = Field(None, examples=["No dataset with id 42."])
    instance: str | None = Field(None, examples=["/catalog/datasets/42"])
    request_id: str | None = Field(None, examples=["3f0c9a5e7b1d4c29"])
    errors: list[dict[str, Any]] | None = None


class AppError(Exception):
    """Base of every error a service raises on purpose."""

    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.extensions = extensions
        self.headers: dict[str, str] = {}


class BadRequest(AppError):
    status, slug, title = 400, "bad-request", "Bad request"


class MalformedRequest(AppError):
    status, slug, title = 400, "malformed-request", "Malformed request body"


class Unauthorized(AppError):
    status, slug, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(detail, **extensions)
        self.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'


class Forbidden(AppError):
    status, slug, title = 403, "forbidden", "Forbidden"


class NotFound(AppError):
    status, slug, title = 404, "not-found", "Not found"


class MethodNotAllowed(AppError):
    status, slug, title = 405, "method-not-allowed", "Method not allowed"


class Conflict(AppError):
    status, slug, title = 409, "conflict", "Conflict"


class PayloadTooLarge(AppError):
    status, slug, title = 413, "payload-too-large", "Payload too large"


class ValidationFailed(AppError):
    status, slug, title = 422, "validation-error", "Invalid request"


class ServiceUnavailable(AppError):
    status, slug, title = 503, "service-unavailable", "Service unavailable"

    def __init__(self, detail: str | None = None, *, retry_after: int = 5, **extensions: Any):
        super().__init__(detail, **extensions)
        self.headers["Retry-After"] = str(retry_after)


def is_transient(exc: BaseException) -> bool:
    """A failure of the infrastructure (the database, the broker, the object store out of
    reach), not of the request or the message: worth retrying, a 503 to a client."""
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated or isinstance(exc, InterfaceError)
    return isinstance(
        exc, (OSError, ConnectionError, TimeoutError, PoolTimeout, StorageUnavailable)
    )


def is_unstorable_value(exc: BaseException) -> bool:
    """A value the database refuses as data (SQLSTATE class 22: a NUL character in text, a
    number or a date out of range): the request's fault, whichever route let it through."""
    if not isinstance(exc, DBAPIError) or exc.connection_invalidated:
        return False
    code = getattr(exc.orig, "sqlstate", None)
    return isinstance(code, str) and code.startswith("22")


class InternalError(AppError):
    status, slug, title = 500, "internal-error", "Internal server error"


_HTTP_ERRORS: dict[int, type[AppError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    409: Conflict,
    413: PayloadTooLarge,
    503: ServiceUnavailable,
}


def problem_response(error: AppError, *, instance: str | None = None) -> JSONResponse:
    problem = Problem(
        type=problem_type(error.slug),
        title=error.title,
        status=error.status,
        detail=error.detail,
        instance=instance,
        request_id=request_id_var.get(),
    )
    body = problem.model_dump(exclude_none=True) | error.extensions
    return JSONResponse(
        body, status_code=error.status, media_type=PROBLEM_MEDIA_TYPE, headers=error.headers
    )


def problem_responses(*errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries documenting the problems a route may return."""
    return {
        error.status: {
            "model": Problem,
            "description": error.title,
            "content": {PROBLEM_MEDIA_TYPE: {"example": _example(error)}},
        }
        for error in errors
    }


def _example(error: type[AppError]) -> dict[str, Any]:
    return {"type": problem_type(error.slug), "title": error.title, "status": error.status}


def _validation_error(errors: Sequence[Any]) -> AppError:
    cleaned = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in errors
    ]
    if any(e["type"] == "json_invalid" for e in cleaned):
        return MalformedRequest("The request body is not valid JSON.", errors=cleaned)
    return ValidationFailed("The request does not match the expected schema.", errors=cleaned)


def _http_error(status: int) -> type[AppError]:
    """A problem class for an HTTP status the tree does not name (406, 415, ...)."""
    phrase = HTTPStatus(status).phrase
    slug = phrase.lower().replace(" ", "-").replace("'", "")
    return type("HttpError", (AppError,), {"status": status, "slug": slug, "title": phrase})


async def _app_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return problem_response(exc, instance=request.url.path)


async def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return problem_response(_validation_error(exc.errors()), instance=request.url.path)


async def _http_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    error_class = _HTTP_ERRORS.get(exc.status_code) or _http_error(exc.status_code)
    detail = exc.detail if isinstance(exc.detail, str) else None
    error = error_class(detail)
    error.headers.update(exc.headers or {})
    return problem_response(error, instance=request.url.path)


def install_error_handlers(app: FastAPI) -> None:
    """Problems for application, validation and HTTP errors; the request middleware renders
    unexpected ones (``hdh_common.middleware``). The OpenAPI says so for validation errors."""
    app.add_exception_handler(AppError, _app_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    _document_validation_problems(app)


def _document_validation_problems(app: FastAPI) -> None:
    """FastAPI documents its 422 as ``application/json`` ``HTTPValidationError``: the problem
    the handler above sends is documented instead."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas.setdefault(Problem.__name__, Problem.model_json_schema())
        ref = {"$ref": f"#/components/schemas/{Problem.__name__}"}
        for item in schema.get("paths", {}).values():
            for operation in item.values():
                responses = operation.get("responses", {}) if isinstance(operation, dict) else {}
                if "422" in responses:
                    responses["422"] = {
                        "description": ValidationFailed.title,
                        "content": {PROBLEM_MEDIA_TYPE: {"schema": ref}},
                    }
        for unused in ("HTTPValidationError", "ValidationError"):
            if f'"#/components/schemas/{unused}"' not in json.dumps(schema):
                schemas.pop(unused, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

"""A recording echo service for the gateway tests (served by ``hdh_dev.testing.serve_http``)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from hdh_common.errors import install_error_handlers
from hdh_common.identity import InternalTokenVerifier, PrincipalDep
from hdh_common.state import STATE_KEY
from hdh_dev.testing import TOKEN_ISSUER


@dataclass
class Calls:
    """What reached the echo service."""

    paths: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.paths)


def echo_service(name: str, *, public_key: str, calls: Calls, delay: float = 2.0) -> FastAPI:
    """A service named ``name`` that accepts only the gateway's internal token for it."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        verifier = InternalTokenVerifier(public_key, issuer=TOKEN_ISSUER, audience=name)
        yield {STATE_KEY: SimpleNamespace(token_verifier=verifier)}

    app = FastAPI(lifespan=lifespan, openapi_url="/openapi.json")
    install_error_handlers(app)

    @app.middleware("http")
    async def record(request: Request, call_next: Any) -> Any:
        calls.paths.append(request.url.path)
        calls.headers.append(dict(request.headers))
        return await call_next(request)

    async def echo(request: Request, principal: PrincipalDep) -> dict[str, Any]:
        return {
            "subject": principal.subject,
            "roles": sorted(principal.roles),
            "organisation": principal.organisation,
            "request_id": principal.request_id,
            "query": str(request.url.query),
        }

    for method in ("GET", "POST", "DELETE"):
        app.add_api_route(
            f"/{name}/echo", echo, methods=[method], operation_id=f"echo_{method.lower()}"
        )

    @app.post(f"/{name}/datasets/{{dataset_id}}/uploads/{{part}}", summary="Upload a part")
    async def upload(request: Request, principal: PrincipalDep) -> dict[str, int]:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
        return {"size": size}

    @app.get(f"/{name}/download", summary="Download")
    async def download(size: int, principal: PrincipalDep) -> Any:
        from fastapi.responses import StreamingResponse

        async def chunks() -> AsyncIterator[bytes]:
            left = size
            while left > 0:
                part = min(left, 65536)
                left -= part
                yield b"x" * part

        return StreamingResponse(chunks(), media_type="application/octet-stream")

    @app.get(f"/{name}/slow", summary="Slow")
    async def slow(principal: PrincipalDep) -> JSONResponse:
        await asyncio.sleep(delay)
        return JSONResponse({"slow": True})

    return app

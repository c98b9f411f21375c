import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from gateway import health
from gateway.config import Settings
from hdh_common.errors import install_error_handlers
from hdh_common.logs import configure_logging
from hdh_common.middleware import HttpMetrics, RequestContextMiddleware


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    registry = CollectorRegistry()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        configure_logging("gateway", settings.log_level)
        async with httpx.AsyncClient(timeout=settings.readiness_timeout) as probe_client:
            yield {"settings": settings, "probe_client": probe_client}

    app = FastAPI(
        title="Health Data Hub",
        description="The public API of the Health Data Hub.",
        version="0.1.0",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware, metrics=HttpMetrics(registry))
    app.include_router(health.router)

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app

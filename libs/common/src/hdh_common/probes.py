"""Liveness, readiness and Prometheus metrics endpoints."""

from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import BaseModel, Field

from hdh_common.errors import ServiceUnavailable, problem_responses

Check = Callable[[], Awaitable[bool]]


class Health(BaseModel):
    status: str = Field(examples=["ok"])


class Readiness(BaseModel):
    status: str = Field(examples=["ready"])
    checks: dict[str, str] = Field(examples=[{"database": "ok", "broker": "ok"}])


async def run_checks(checks: Mapping[str, Check]) -> dict[str, str]:
    results = {}
    for name, check in checks.items():
        try:
            ok = await check()
        except Exception:
            ok = False
        results[name] = "ok" if ok else "unavailable"
    return results


def probes_router(registry: CollectorRegistry) -> APIRouter:
    """``/healthz``, ``/readyz`` (runs the lifespan state's ``readiness_checks``), ``/metrics``."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", response_model=Health, summary="Liveness")
    async def healthz() -> Health:
        return Health(status="ok")

    @router.get(
        "/readyz",
        response_model=Readiness,
        summary="Readiness",
        responses=problem_responses(ServiceUnavailable),
    )
    async def readyz(request: Request) -> Readiness:
        results = await run_checks(request.state.readiness_checks)
        if any(v != "ok" for v in results.values()):
            raise ServiceUnavailable("Not ready.", checks=results)
        return Readiness(status="ready", checks=results)

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router

"""The gateway's probes: its readiness is that of the four services behind it."""

import asyncio

import httpx
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from hdh_common.errors import ServiceUnavailable, problem_responses
from hdh_common.probes import Health, Shared

router = APIRouter(tags=["operations"])


class GatewayReadiness(BaseModel):
    status: str = Field(examples=["ready"])
    services: dict[str, str] = Field(
        examples=[{"catalog": "ready", "access": "ready", "linkage": "ready", "audit": "not_ready"}]
    )


async def _service_state(client: httpx.AsyncClient, url: str) -> str:
    try:
        response = await client.get(f"{url}/readyz")
    except httpx.HTTPError:
        return "unreachable"
    return "ready" if response.status_code == 200 else "not_ready"


async def _service_states(client: httpx.AsyncClient, urls: dict[str, str]) -> dict[str, str]:
    states = await asyncio.gather(*(_service_state(client, url) for url in urls.values()))
    return dict(zip(urls, states, strict=True))


@router.get("/healthz", response_model=Health, summary="Liveness")
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=GatewayReadiness,
    summary="Readiness of the platform",
    responses=problem_responses(ServiceUnavailable),
)
async def readyz(request: Request) -> GatewayReadiness:
    readiness: Shared[dict[str, str]] = request.state.readiness
    client: httpx.AsyncClient = request.state.probe_client
    urls: dict[str, str] = request.state.settings.service_urls()
    services = dict(await readiness.get(lambda: _service_states(client, urls)))
    if any(state != "ready" for state in services.values()):
        raise ServiceUnavailable("Some services are not ready.", services=services)
    return GatewayReadiness(status="ready", services=services)

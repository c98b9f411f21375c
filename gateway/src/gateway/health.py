"""The gateway's probes. Its readiness does not depend on the services behind it: it reports
each one, and a route to a service that is down answers 503 problem+json on its own, so one
service (or a broker blip) never pulls every gateway out of the ingress."""

import asyncio

import httpx
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from hdh_common.probes import Health, Shared

router = APIRouter(tags=["operations"])


class GatewayReadiness(BaseModel):
    status: str = Field(
        examples=["ready"],
        description="`ready` when every service is, else `degraded` (still 200: the gateway "
        "serves the others).",
    )
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
)
async def readyz(request: Request) -> GatewayReadiness:
    readiness: Shared[dict[str, str]] = request.state.readiness
    client: httpx.AsyncClient = request.state.probe_client
    urls: dict[str, str] = request.state.settings.service_urls()
    services = dict(await readiness.get(lambda: _service_states(client, urls)))
    degraded = any(state != "ready" for state in services.values())
    return GatewayReadiness(status="degraded" if degraded else "ready", services=services)

"""The project space behind the gateway: routed with an internal token of its audience,
its operations in the aggregated OpenAPI, its refusals as problems."""

import uuid

import httpx

from hdh_dev.testing import Platform, bearer


async def test_the_gateway_routes_to_the_project_space(platform: Platform) -> None:
    alice = bearer(await platform.token("alice"))
    paul = bearer(await platform.token("paul"))
    async with httpx.AsyncClient(base_url=platform.url, timeout=30) as client:
        spec = (await client.get("/openapi.json")).json()
        mine = await client.get("/workspace/projects", headers=alice)
        unknown = await client.get(f"/workspace/projects/{uuid.uuid4()}/tables", headers=alice)
        producer = await client.get("/workspace/projects", headers=paul)
        anonymous = await client.get("/workspace/projects")
    assert {
        "/workspace/projects",
        "/workspace/projects/{project_id}",
        "/workspace/projects/{project_id}/tables",
    } <= set(spec["paths"])
    assert "workspace" not in spec["info"].get("x-unavailable-services", [])
    assert (mine.status_code, mine.json()) == (200, {"items": [], "next_cursor": None})
    assert (unknown.status_code, unknown.headers["content-type"]) == (
        404,
        "application/problem+json",
    )
    assert (producer.status_code, anonymous.status_code) == (403, 401)

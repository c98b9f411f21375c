"""Routing: streamed bodies both ways, limits, and problems naming the service at fault."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from hdh_dev.testing import bearer, scraped

from .stack import Stack, StackFactory

PROBLEM = "application/problem+json"
MIB = 1024 * 1024


async def test_a_service_down_is_503_naming_it(stack: Stack) -> None:
    response = await stack.client.get(
        "/access/projects", headers=bearer(await stack.token("alice"))
    )
    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["retry-after"] == "5"
    assert response.json()["type"] == "/problems/service-unavailable"
    assert response.json()["service"] == "access"


async def test_a_slow_service_is_504_after_its_route_timeout(stack: Stack) -> None:
    response = await stack.client.get("/catalog/slow", headers=bearer(await stack.token("alice")))
    assert response.status_code == 504
    assert response.json()["type"] == "/problems/gateway-timeout"
    assert response.json()["service"] == "catalog"


async def test_query_and_method_pass_through(stack: Stack) -> None:
    token = await stack.token("sara")
    response = await stack.client.delete("/catalog/echo?x=1&y=%C3%A9", headers=bearer(token))
    assert response.status_code == 200
    assert response.json()["query"] == "x=1&y=%C3%A9"
    metrics = (await stack.client.get("/metrics")).text
    assert 'method="DELETE",route="/catalog/{path:path}",status="200"' in metrics
    # the process's own figures too
    assert (await scraped(stack.client, "process_resident_memory_bytes") or 0) > 0
    assert await scraped(stack.client, "python_info") == 1


async def test_a_streamed_download_passes(stack: Stack) -> None:
    headers = bearer(await stack.token("alice"))
    size = 0
    async with stack.client.stream("GET", "/catalog/download?size=5000000", headers=headers) as r:
        assert r.status_code == 200
        async for chunk in r.aiter_bytes():
            size += len(chunk)
    assert size == 5_000_000


async def test_an_upload_streams_to_the_service(stack: Stack) -> None:
    async def body() -> AsyncIterator[bytes]:
        for _ in range(32):
            yield b"y" * MIB

    response = await stack.client.post(
        "/catalog/datasets/7/uploads/1", content=body(), headers=bearer(await stack.token("paul"))
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"size": 32 * MIB}


async def test_a_body_over_the_route_limit_is_413(stack: Stack) -> None:
    headers = bearer(await stack.token("alice"))
    declared = await stack.client.post("/catalog/echo", content=b"z" * (11 * MIB), headers=headers)
    assert declared.status_code == 413
    assert declared.json()["type"] == "/problems/payload-too-large"

    async def chunked() -> AsyncIterator[bytes]:
        for _ in range(11):
            yield b"z" * MIB

    streamed = await stack.client.post("/catalog/echo", content=chunked(), headers=headers)
    assert streamed.status_code == 413
    assert stack.calls.paths.count("/catalog/echo") <= 1


async def raw_get(url: str, path: str, token: str) -> int:
    """The status of a GET sent byte for byte (HTTP clients normalise dot segments)."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        "Connection: close\r\n\r\n".encode()
    )
    status_line = await reader.readline()
    writer.close()
    return int(status_line.split()[1])


@pytest.mark.parametrize(
    "path",
    ["/catalog/../audit/entries", "/catalog/%2e%2e/audit", "/catalog/a%2Fb", "/catalog/./echo"],
)
async def test_paths_that_could_retarget_are_refused(stack: Stack, path: str) -> None:
    status = await raw_get(stack.url, path, await stack.token("alice"))
    assert status == 400
    assert len(stack.calls) == 0


async def test_security_headers_and_request_id(stack: Stack) -> None:
    response = await stack.client.get(
        "/catalog/echo", headers=bearer(await stack.token("alice")) | {"X-Request-ID": "abc-123"}
    )
    assert response.headers["x-request-id"] == "abc-123"
    assert stack.calls.headers[-1]["x-request-id"] == "abc-123"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in response.headers["content-security-policy"]


async def test_rate_limits_answer_429_with_retry_after(make_stack: StackFactory) -> None:
    async with make_stack(
        rate_limit_subject_rate=0.5,
        rate_limit_subject_burst=2,
        rate_limit_ip_rate=1.0,
        rate_limit_ip_burst=6,
    ) as stack:
        headers = bearer(await stack.token("alice"))
        statuses = [(await stack.client.get("/catalog/echo", headers=headers)) for _ in range(3)]
        assert [r.status_code for r in statuses] == [200, 200, 429]
        assert int(statuses[-1].headers["retry-after"]) >= 1
        assert statuses[-1].headers["content-type"] == PROBLEM
        by_ip = [(await stack.client.get("/catalog/echo")).status_code for _ in range(4)]
        assert by_ip[-1] == 429
        assert len(stack.calls) == 2


async def test_cors_from_configuration(make_stack: StackFactory) -> None:
    async with make_stack(
        cors_origins=["https://app.example"],
    ) as stack:
        preflight = await stack.client.options(
            "/catalog/echo",
            headers={
                "Origin": "https://app.example",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://app.example"
        other = await stack.client.options(
            "/catalog/echo",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        )
        assert "access-control-allow-origin" not in other.headers
        assert len(stack.calls) == 0


async def test_head_and_bodiless_answers_keep_the_pool_sound(stack: Stack) -> None:
    headers = bearer(await stack.token("alice"))
    head = await stack.client.head("/catalog/echo", headers=headers)
    assert head.status_code == 405
    assert head.content == b""
    for _ in range(3):
        assert (await stack.client.get("/catalog/echo", headers=headers)).status_code == 200

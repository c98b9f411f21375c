"""The HTTP append takes who, where from and when from the caller and the clock, never from
the body; payloads are bounded, so whatever was accepted can always be served."""

from collections.abc import Callable
from typing import Any

import httpx

Headers = Callable[..., dict[str, str]]


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(depth):
        value = {"a": value}
    return value


async def test_a_deep_or_large_payload_is_refused_and_the_log_stays_readable(
    client: httpx.AsyncClient, as_role: Headers
) -> None:
    system = as_role("system", sub="hdh-linkage")
    for number, payload in enumerate([nested(600), {"text": "x" * 200_000}]):
        body = {"event_id": f"big-{number}", "action": "hdh.linkage.job.ran.v1", "payload": payload}
        refused = await client.post("/audit/entries", json=body, headers=system)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
    fine = {"event_id": "ok", "action": "hdh.linkage.job.ran.v1", "payload": nested(20)}
    assert (await client.post("/audit/entries", json=fine, headers=system)).status_code == 201
    served = await client.get("/audit/entries", headers=as_role("auditor"))
    assert served.status_code == 200, served.text
    assert [e["entry"]["event_id"] for e in served.json()["items"]] == ["ok"]


async def test_who_when_and_where_from_come_from_the_caller(
    client: httpx.AsyncClient, as_role: Headers
) -> None:
    system = as_role("system", sub="hdh-linkage")
    for forged in (
        {"actor": "alice"},
        {"source": "/access"},
        {"time": "2020-01-01T00:00:00Z"},
        {"client_ip": "10.9.9.9"},
    ):
        body = {"action": "hdh.linkage.job.ran.v1"} | forged
        refused = await client.post("/audit/entries", json=body, headers=system)
        assert refused.status_code == 422, (forged, refused.text)
    body = {"event_id": "mine", "action": "hdh.linkage.job.ran.v1"}
    for role in ("partner", "hub_staff", "auditor"):
        denied = await client.post("/audit/entries", json=body, headers=as_role(role, sub="x"))
        assert denied.status_code == 403, (role, denied.text)
    assert (await client.post("/audit/entries", json=body, headers=system)).status_code == 201
    [served] = (await client.get("/audit/entries", headers=as_role("auditor"))).json()["items"]
    entry = served["entry"]
    assert (entry["actor"], entry["source"]) == ("hdh-linkage", "hdh-linkage")
    assert entry["client_ip"] == "127.0.0.1" and entry["time"].startswith("20")

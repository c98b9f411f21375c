"""Partner webhooks, Standard Webhooks style: signed, retried, dead-lettered, replayable, and
only for the partner's own organisation."""

import json
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook as Verifier

from hdh_dev.testing import bearer, eventually, serve_http

from .conftest import Receiver, unused_url


def partner(hub: Any, org: str | None = "org", sub: str = "crm") -> dict[str, str]:
    return bearer(hub.make_token("access", "partner", sub=sub, org=org))


async def subscribe(hub: Any, url: str, types: list[str], org: str = "org") -> dict[str, Any]:
    body = {"url": url, "event_types": types}
    response = await hub.client.post("/access/webhooks", json=body, headers=partner(hub, org))
    assert response.status_code == 201, response.text
    return dict(response.json())


async def deliveries(hub: Any, webhook: dict[str, Any], org: str = "org") -> list[dict[str, Any]]:
    response = await hub.client.get(
        f"/access/webhooks/{webhook['id']}/deliveries", headers=partner(hub, org)
    )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def status_of(hub: Any, webhook: dict[str, Any], status: str) -> bool:
    found = await deliveries(hub, webhook)
    return bool(found) and all(d["status"] == status for d in found)


async def test_a_down_endpoint_is_retried_until_it_is_up(hub) -> None:
    url = unused_url()
    webhook = await subscribe(hub, url, ["hdh.access.request.submitted.v1"])
    test = await hub.client.post(f"/access/webhooks/{webhook['id']}/test", headers=partner(hub))
    assert test.status_code == 202, test.text

    async def failed_once() -> bool:
        found = await deliveries(hub, webhook)
        return found[0]["attempts"] >= 1 and found[0]["last_error"] is not None

    await eventually(failed_once, within=10)
    assert (await deliveries(hub, webhook))[0]["status"] == "pending"
    endpoint = Receiver()
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    async with serve_http(endpoint.app(), port=port):

        async def delivered() -> bool:
            return await status_of(hub, webhook, "delivered")

        await eventually(delivered, within=10)
    headers, body = endpoint.calls[0]
    event = Verifier(webhook["secret"]).verify(body, headers)
    assert event["type"] == "hdh.access.webhook.tested.v1"
    assert (await deliveries(hub, webhook))[0]["attempts"] >= 2


async def test_dead_letter_after_the_last_attempt_then_replay(
    hub, receiver: tuple[Receiver, str]
) -> None:
    endpoint, url = receiver
    endpoint.status = 500
    webhook = await subscribe(hub, url, ["hdh.access.request.*"])
    hooks = f"/access/webhooks/{webhook['id']}"
    await hub.client.post(f"{hooks}/test", headers=partner(hub))

    async def dead() -> bool:
        return await status_of(hub, webhook, "dead")

    await eventually(dead, within=15)
    delivery = (await deliveries(hub, webhook))[0]
    assert (delivery["attempts"], delivery["last_status_code"]) == (5, 500)
    assert len(endpoint.calls) == 5
    assert {h["webhook-id"] for h, _ in endpoint.calls} == {delivery["id"]}

    endpoint.status = 200
    replay = await hub.client.post(
        f"{hooks}/deliveries/{delivery['id']}/replay", headers=partner(hub)
    )
    assert replay.status_code == 202, replay.text

    async def delivered() -> bool:
        return await status_of(hub, webhook, "delivered")

    await eventually(delivered, within=10)
    headers, body = endpoint.calls[-1]
    assert Verifier(webhook["secret"]).verify(body, headers)["id"] == delivery["event_id"]
    dead_ones = await hub.client.get(
        f"{hooks}/deliveries", params={"status": "dead"}, headers=partner(hub)
    )
    assert dead_ones.json()["items"] == []


async def test_only_partners_of_the_organisation_reach_a_webhook(hub) -> None:
    webhook = await subscribe(hub, unused_url(), ["hdh.access.grant.issued.v1"])
    hooks = f"/access/webhooks/{webhook['id']}"
    delivery = "00000000-0000-0000-0000-000000000000"
    paths = [
        ("GET", hooks),
        ("DELETE", hooks),
        ("POST", f"{hooks}/test"),
        ("GET", f"{hooks}/deliveries"),
        ("POST", f"{hooks}/deliveries/{delivery}/replay"),
    ]
    for method, path in paths:
        stranger = await hub.client.request(method, path, headers=partner(hub, "elsewhere"))
        assert stranger.status_code == 404, (method, path)
        assert stranger.headers["content-type"] == "application/problem+json"
        researcher = await hub.client.request(method, path, headers=hub.as_("researcher", "alice"))
        assert researcher.status_code == 403, (method, path)
        assert (await hub.client.request(method, path)).status_code == 401
    assert (await hub.client.get("/access/webhooks", headers=partner(hub, None))).status_code == 403
    listed = await hub.client.get("/access/webhooks", headers=partner(hub))
    assert [w["id"] for w in listed.json()["items"]] == [webhook["id"]]
    assert "secret" not in listed.json()["items"][0]
    others = await hub.client.get("/access/webhooks", headers=partner(hub, "elsewhere"))
    assert others.json()["items"] == []
    assert (await hub.client.delete(hooks, headers=partner(hub))).status_code == 204
    assert (await hub.client.get(hooks, headers=partner(hub))).status_code == 404


BAD_SUBSCRIPTIONS = [
    {"url": "ftp://example.org/x", "event_types": ["hdh.access.request.*"]},
    {"url": "not a url", "event_types": ["hdh.access.request.*"]},
    {"url": "https://example.org/x", "event_types": []},
    {"url": "https://example.org/x", "event_types": ["hdh.linkage.*"]},
    {"url": "https://example.org/x", "event_types": ["hdh.access.*.v1"]},
    {"url": "https://example.org/x", "event_types": ["hdh.access.*"], "secret": "mine"},
]


async def test_bad_subscriptions_are_refused(hub) -> None:
    for body in BAD_SUBSCRIPTIONS:
        response = await hub.client.post("/access/webhooks", json=body, headers=partner(hub))
        assert response.status_code == 422, json.dumps(body)
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("settings_overrides", [{}])
async def test_the_hubs_own_networks_are_not_endpoints(hub) -> None:
    for host in ("127.0.0.1", "10.0.0.7", "[::1]", "169.254.169.254", "localhost", "db.internal"):
        body = {"url": f"http://{host}:8001/x", "event_types": ["hdh.access.*"]}
        response = await hub.client.post("/access/webhooks", json=body, headers=partner(hub))
        assert response.status_code == 400, host
        assert response.json()["type"] == "/problems/webhook-url-not-allowed"
    public = {"url": "https://partner.example.org/x", "event_types": ["hdh.access.*"]}
    ok = await hub.client.post("/access/webhooks", json=public, headers=partner(hub))
    assert ok.status_code == 201, ok.text

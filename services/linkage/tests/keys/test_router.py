"""Crypto-shredding through the API: four eyes, events at each step, never ``central``."""

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from hdh_dev.testing import SettingsFactory, TokenFactory, bearer, running
from linkage.main import create_app


async def outbox(url: str) -> list[dict[str, Any]]:
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        rows = await connection.scalars(sa.text("SELECT payload FROM linkage.outbox ORDER BY id"))
        found = list(rows)
    await engine.dispose()
    return found


async def test_destroying_a_domain_key_takes_two_different_hub_staff(
    linkage_settings: SettingsFactory, make_token: TokenFactory, clean_database: str
) -> None:
    alice = bearer(make_token("linkage", "hub_staff", sub="alice"))
    bob = bearer(make_token("linkage", "hub_staff", sub="bob"))
    rita = bearer(make_token("linkage", "researcher", sub="rita"))
    domain = f"project:{uuid.uuid4()}"
    requests = f"/linkage/domains/{domain}/destruction-requests"
    reason = {"reason": "Project closed early; data destroyed per DPO ticket 42."}
    async with running(create_app(linkage_settings())) as client:
        assert (await client.post(f"/linkage/domains/{domain}/rotate", headers=alice)).is_success
        one_call = await client.post(f"/linkage/domains/{domain}/destroy", headers=alice)
        denied = await client.post(requests, json=reason, headers=rita)
        asked = await client.post(requests, json=reason, headers=alice)
        assert asked.status_code == 201, asked.text
        confirm = f"{requests}/{asked.json()['id']}/confirm"
        twice = await client.post(requests, json=reason, headers=bob)
        self_confirmed = await client.post(confirm, headers=alice)
        researcher_confirmed = await client.post(confirm, headers=rita)
        still = (await client.get("/linkage/domains", headers=bob)).json()["items"]
        confirmed = await client.post(confirm, headers=bob)
        again = await client.post(confirm, headers=bob)
        after = (await client.get("/linkage/domains", headers=bob)).json()["items"]
    assert one_call.status_code in (404, 405)
    assert denied.status_code == researcher_confirmed.status_code == 403
    assert asked.json()["requested_by"] == "alice" and asked.json()["confirmed_by"] is None
    assert twice.status_code == 409, twice.text
    assert self_confirmed.status_code == 403
    assert self_confirmed.json()["type"] == "/problems/four-eyes"
    [waiting] = [d for d in still if d["domain"] == domain]
    assert waiting["active_version"] == 1
    assert waiting["pending_destruction"]["id"] == asked.json()["id"]
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["versions_destroyed"] == 1
    assert again.status_code == 409
    [shredded] = [d for d in after if d["domain"] == domain]
    assert [v["status"] for v in shredded["versions"]] == ["destroyed"]
    assert shredded["pending_destruction"] is None
    events = [(e["type"], e["actor"], e["data"]) for e in await outbox(clean_database)]
    assert events == [
        ("hdh.linkage.domain_key.rotated.v1", "alice", {"domain": domain, "version": 1}),
        (
            "hdh.linkage.domain_key.destruction_requested.v1",
            "alice",
            {"request_id": asked.json()["id"], "domain": domain, "reason": reason["reason"]},
        ),
        (
            "hdh.linkage.domain_key.destroyed.v1",
            "bob",
            {
                "domain": domain,
                "versions_destroyed": 1,
                "request_id": asked.json()["id"],
                "requested_by": "alice",
            },
        ),
    ]


async def test_the_central_key_is_never_destroyed_through_the_api(
    linkage_settings: SettingsFactory, make_token: TokenFactory, clean_database: str
) -> None:
    alice = bearer(make_token("linkage", "hub_staff", sub="alice"))
    reason = {"reason": "Let us start afresh."}
    async with running(create_app(linkage_settings())) as client:
        assert (await client.post("/linkage/domains/central/rotate", headers=alice)).is_success
        one_call = await client.post("/linkage/domains/central/destroy", headers=alice)
        asked = await client.post(
            "/linkage/domains/central/destruction-requests", json=reason, headers=alice
        )
        listed = (await client.get("/linkage/domains", headers=alice)).json()["items"]
    assert one_call.status_code in (404, 405)
    assert asked.status_code == 409, asked.text
    assert asked.json()["type"] == "/problems/central-key-indestructible"
    assert [(d["domain"], d["active_version"]) for d in listed] == [("central", 1)]
    assert [e["type"] for e in await outbox(clean_database)] == [
        "hdh.linkage.domain_key.rotated.v1"
    ]


async def test_domains_page_by_name_with_every_version_of_each(
    linkage_settings: SettingsFactory, make_token: TokenFactory, clean_database: str
) -> None:
    alice = bearer(make_token("linkage", "hub_staff", sub="alice"))
    domains = sorted(["central", *(f"project:{uuid.uuid4()}" for _ in range(2))])
    async with running(create_app(linkage_settings())) as client:
        for domain in domains:
            for _ in range(2):
                rotated = await client.post(f"/linkage/domains/{domain}/rotate", headers=alice)
                assert rotated.is_success, rotated.text
        first = (await client.get("/linkage/domains", params={"limit": 2}, headers=alice)).json()
        params = {"limit": 2, "cursor": first["next_cursor"]}
        rest = (await client.get("/linkage/domains", params=params, headers=alice)).json()
    listed = first["items"] + rest["items"]
    assert [d["domain"] for d in listed] == domains and rest["next_cursor"] is None
    assert {(d["active_version"], len(d["versions"])) for d in listed} == {(2, 2)}

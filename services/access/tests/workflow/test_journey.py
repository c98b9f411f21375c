"""The whole journey against the access app (the gateway journey comes with the gateway)."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa


async def events(hub, type_prefix: str) -> list[dict]:
    async with hub.engine.connect() as connection:
        rows = await connection.scalars(
            sa.text("SELECT payload FROM access.outbox WHERE payload->>'type' LIKE :p ORDER BY id"),
            {"p": f"{type_prefix}%"},
        )
        return list(rows)


async def test_draft_to_active_grant_then_expiry(hub) -> None:
    request = await hub.draft()
    rid = request["id"]
    for kind in ("protocol", "data_management_plan"):
        assert (await hub.upload(rid, kind)).status_code == 201
    await hub.ok(rid, "submit", "researcher", "alice")
    asked = await hub.ok(rid, "request_info", "hub_staff", "sam", reason="Which cohort years?")
    assert asked["state"] == "info_requested" and asked["clock_paused"]
    answer = await hub.client.post(
        f"/access/requests/{rid}/messages",
        json={"body": "2015 to 2020."},
        headers=hub.as_("researcher", "alice"),
    )
    assert answer.status_code == 201
    thread = await hub.client.get(
        f"/access/requests/{rid}/messages", headers=hub.as_("researcher", "alice")
    )
    assert [m["body"] for m in thread.json()["items"]] == ["Which cohort years?", "2015 to 2020."]
    await hub.ok(rid, "resubmit", "researcher", "alice")
    register = await hub.client.get("/access/register")
    assert register.status_code == 200 and register.json()["items"] == []
    for state in ("admissible", "committee_review", "regulator_review", "authorised"):
        await hub.step(rid, state)
    listed = (await hub.client.get("/access/register")).json()["items"]
    assert [(e["request_id"], e["status"], e["legal_basis"]) for e in listed] == [
        (rid, "authorised", "CNIL authorisation")
    ]
    for state in ("agreement_signed", "data_preparation", "active"):
        await hub.step(rid, state)
    assert (await hub.get(rid))["state"] == "active"
    grants = (await hub.client.get("/access/grants", headers=hub.as_("researcher", "alice"))).json()
    [grant] = grants["items"]
    assert grant["status"] == "active" and grant["request_id"] == rid
    assert grant["datasets"][0]["variables"] == [{"table": "patients", "name": "age"}]
    [issued] = await events(hub, "hdh.access.grant.issued")
    assert issued["data"]["expires_on"] == grant["expires_on"]
    assert issued["data"]["period_start"] == "2015-01-01"

    hub.clock.instant = datetime.now(UTC) + timedelta(days=800)
    swept = await hub.client.post("/access/grants/expiry-sweep", headers=hub.as_("system", "cron"))
    assert swept.json() == {"expired": 1}
    after = (
        await hub.client.get(
            f"/access/grants/{grant['id']}", headers=hub.as_("researcher", "alice")
        )
    ).json()
    assert after["status"] == "expired"
    assert len(await events(hub, "hdh.access.grant.expired")) == 1
    assert (await hub.client.get("/access/register")).json()["items"][0]["status"] == "expired"
    history = await hub.client.get(
        f"/access/requests/{rid}/transitions", headers=hub.as_("auditor", "ann")
    )
    assert [t["to_state"] for t in history.json()["items"]] == [
        "submitted",
        "info_requested",
        "submitted",
        "admissible",
        "committee_review",
        "regulator_review",
        "authorised",
        "agreement_signed",
        "data_preparation",
        "active",
    ]

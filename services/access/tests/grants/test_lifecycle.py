"""Grants: revocation, closure, amendments; the register follows."""

import sqlalchemy as sa


async def event_types(hub) -> list[str]:
    async with hub.engine.connect() as connection:
        rows = await connection.scalars(
            sa.text(
                "SELECT payload->>'type' FROM access.outbox WHERE payload->>'type' LIKE"
                " 'hdh.access.grant.%' ORDER BY id"
            )
        )
        return list(rows)


async def active_request(hub, sub: str = "alice") -> tuple[dict, dict]:
    request = await hub.draft(sub)
    await hub.drive_to(request["id"], "active")
    grants = await hub.client.get("/access/grants", headers=hub.as_("hub_staff"))
    [grant] = [g for g in grants.json()["items"] if g["request_id"] == request["id"]]
    return request, grant


async def test_revocation_by_staff_with_reason(hub) -> None:
    _, grant = await active_request(hub)
    url = f"/access/grants/{grant['id']}/revocation"
    assert (
        await hub.client.post(url, json={"reason": "x"}, headers=hub.as_("researcher", "alice"))
    ).status_code == 403
    assert (
        await hub.client.post(url, json={"reason": " "}, headers=hub.as_("hub_staff"))
    ).status_code == 422
    revoked = await hub.client.post(
        url, json={"reason": "Data breach."}, headers=hub.as_("hub_staff")
    )
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked" and revoked.json()["end_reason"] == "Data breach."
    again = await hub.client.post(url, json={"reason": "again"}, headers=hub.as_("hub_staff"))
    assert again.status_code == 409
    assert await event_types(hub) == ["hdh.access.grant.issued.v1", "hdh.access.grant.revoked.v1"]
    [entry] = (await hub.client.get("/access/register")).json()["items"]
    assert entry["status"] == "revoked"
    other = await hub.client.get(
        f"/access/grants/{grant['id']}", headers=hub.as_("researcher", "mallory")
    )
    assert other.status_code == 404


async def grant_events(hub) -> list[dict]:
    async with hub.engine.connect() as connection:
        rows = await connection.scalars(
            sa.text(
                "SELECT payload FROM access.outbox WHERE payload->>'type' LIKE"
                " 'hdh.access.grant.%' ORDER BY id"
            )
        )
        return list(rows)


async def test_the_grant_is_issued_when_preparation_starts_and_withdrawal_ends_it(hub) -> None:
    request = await hub.draft()
    rid = request["id"]
    await hub.drive_to(rid, "agreement_signed")
    assert await grant_events(hub) == []
    await hub.step(rid, "data_preparation")
    [issued] = await grant_events(hub)
    assert issued["type"] == "hdh.access.grant.issued.v1"
    data = issued["data"]
    assert (data["request_id"], data["project_id"]) == (rid, request["project_id"])
    assert data["members"] == ["alice"]  # who may read the extract
    assert data["datasets"] == [
        {
            "dataset_id": d["dataset_id"],
            "variables": [{"table": v["table"], "name": v["name"]} for v in d["variables"]],
            "event_dates": {"patients": []},  # no event date: granted whole
        }
        for d in request["datasets"]
    ]
    assert (await hub.get(rid))["state"] == "data_preparation"  # active once the extract is in
    await hub.ok(rid, "withdraw", "researcher", "alice", reason="The study was cancelled.")
    assert await event_types(hub) == ["hdh.access.grant.issued.v1", "hdh.access.grant.ended.v1"]
    grants = await hub.client.get("/access/grants", headers=hub.as_("hub_staff"))
    [grant] = grants.json()["items"]
    assert (grant["status"], grant["end_reason"]) == ("ended", "request withdrawn")


async def test_closure_needs_report_and_certificate_and_ends_the_grant(hub) -> None:
    request, grant = await active_request(hub)
    rid = request["id"]
    refused = await hub.act(rid, "close", "hub_staff", "sam")
    assert refused.status_code == 409 and "final_report" in refused.json()["detail"]
    for kind in ("final_report", "destruction_certificate"):
        assert (await hub.upload(rid, kind)).status_code == 201
    closed = await hub.ok(rid, "close", "hub_staff", "sam")
    assert closed["state"] == "closed"
    ended = (
        await hub.client.get(f"/access/grants/{grant['id']}", headers=hub.as_("hub_staff"))
    ).json()
    assert ended["status"] == "ended"
    assert await event_types(hub) == ["hdh.access.grant.issued.v1", "hdh.access.grant.ended.v1"]
    [entry] = (await hub.client.get("/access/register")).json()["items"]
    assert entry["status"] == "closed"
    async with hub.engine.connect() as connection:
        closed_projects = await connection.scalars(
            sa.text(
                "SELECT payload->'data'->>'project_id' FROM access.outbox"
                " WHERE payload->>'type' = 'hdh.access.project.closed.v1'"
            )
        )
        # no live grant is left: the linkage service is told to destroy the project's key
        assert list(closed_projects) == [request["project_id"]]


async def test_amendment_changes_the_grant_only_once_active(hub) -> None:
    request, grant = await active_request(hub)
    dataset_id = request["datasets"][0]["dataset_id"]
    body = hub.request_body(request["project_id"], dataset_id, amends_request_id=request["id"])
    body["datasets"][0]["variables"].append(
        {"table": "patients", "name": "sex", "justification": "Strata."}
    )
    amendment = await hub.client.post(
        "/access/requests", json=body, headers=hub.as_("researcher", "alice")
    )
    assert amendment.status_code == 201
    amended_id = amendment.json()["id"]
    assert amendment.json()["amends_request_id"] == request["id"]
    await hub.drive_to(amended_id, "authorised")
    still = (
        await hub.client.get(f"/access/grants/{grant['id']}", headers=hub.as_("hub_staff"))
    ).json()
    assert still["status"] == "active"
    for state in ("agreement_signed", "data_preparation", "active"):
        await hub.step(amended_id, state)
    superseded = (
        await hub.client.get(f"/access/grants/{grant['id']}", headers=hub.as_("hub_staff"))
    ).json()
    assert superseded["status"] == "superseded"
    grants = (
        await hub.client.get("/access/grants", headers=hub.as_("researcher", "alice"))
    ).json()["items"]
    [current] = [g for g in grants if g["status"] == "active"]
    assert [v["name"] for v in current["datasets"][0]["variables"]] == ["age", "sex"]


async def test_only_an_active_request_of_the_project_can_be_amended(hub) -> None:
    draft = await hub.draft()
    body = hub.request_body(
        draft["project_id"], draft["datasets"][0]["dataset_id"], amends_request_id=draft["id"]
    )
    response = await hub.client.post(
        "/access/requests", json=body, headers=hub.as_("researcher", "alice")
    )
    assert response.status_code == 409
    assert response.json()["type"] == "/problems/invalid-request-content"


async def test_an_agreement_needs_a_signed_agreement_document(hub) -> None:
    request = await hub.draft()
    rid = request["id"]
    await hub.drive_to(rid, "authorised")
    protocol = (
        await hub.client.get(f"/access/requests/{rid}/documents", headers=hub.as_("hub_staff"))
    ).json()["items"][0]
    agreement = {
        "kind": "data_use_agreement",
        "reference": "DUA-1",
        "signed_on": "2026-02-10",
        "document_id": protocol["id"],
    }
    response = await hub.record(rid, "agreements", agreement, "hub_staff", "sam")
    assert response.status_code == 409
    assert response.json()["type"] == "/problems/invalid-request-content"
    assert (await hub.act(rid, "sign_agreement", "hub_staff", "sam")).status_code == 409

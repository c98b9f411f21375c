"""Requests are checked against the catalogue; bad input is a precise problem, nothing written."""

import sqlalchemy as sa


async def count(hub, table: str) -> int:
    async with hub.engine.connect() as connection:
        return int(await connection.scalar(sa.text(f"SELECT count(*) FROM access.{table}")))


async def file(hub, body, sub: str = "alice"):
    return await hub.client.post("/access/requests", json=body, headers=hub.as_("researcher", sub))


async def test_draft_records_datasets_variables_and_basis(hub) -> None:
    project = await hub.project()
    dataset_id = await hub.dataset({"patients": ["age", "sex"], "stays": ["los"]})
    body = hub.request_body(
        project["id"],
        dataset_id,
        legal_basis={"kind": "reference_methodology", "methodology": "MR-004"},
    )
    body["datasets"][0]["variables"].append(
        {"table": "stays", "name": "los", "justification": "Outcome."}
    )
    created = await file(hub, body)
    assert created.status_code == 201
    request = created.json()
    assert request["state"] == "draft" and request["version"] == 1 and request["due_on"] is None
    assert request["legal_basis"] == {"kind": "reference_methodology", "methodology": "MR-004"}
    assert [v["name"] for v in request["datasets"][0]["variables"]] == ["age", "los"]


async def test_unknown_dataset(hub) -> None:
    project = await hub.project()
    missing = "00000000-0000-0000-0000-000000000001"
    response = await file(hub, hub.request_body(project["id"], missing))
    assert response.status_code == 409
    problem = response.json()
    assert problem["type"] == "/problems/unknown-dataset"
    assert problem["unknown_datasets"] == [missing]
    assert await count(hub, "access_request") == 0


async def test_unknown_variable(hub) -> None:
    project = await hub.project()
    dataset_id = await hub.dataset({"patients": ["age"]})
    body = hub.request_body(project["id"], dataset_id)
    body["datasets"][0]["variables"][0]["name"] = "nir"
    response = await file(hub, body)
    assert response.status_code == 409
    assert response.json()["type"] == "/problems/unknown-variable"
    assert response.json()["unknown_variables"] == [
        {"dataset_id": dataset_id, "table": "patients", "name": "nir"}
    ]
    assert await count(hub, "access_request") == 0 and await count(hub, "request_dataset") == 0


async def test_missing_or_blank_justification(hub) -> None:
    project = await hub.project()
    dataset_id = await hub.dataset()
    body = hub.request_body(project["id"], dataset_id)
    del body["datasets"][0]["variables"][0]["justification"]
    response = await file(hub, body)
    assert response.status_code == 422
    assert response.json()["type"] == "/problems/validation-error"
    [error] = response.json()["errors"]
    assert error["loc"] == ["body", "datasets", 0, "variables", 0, "justification"]
    assert error["type"] == "missing"
    body["datasets"][0]["variables"][0]["justification"] = "   "
    blank = await file(hub, body)
    assert blank.status_code == 422 and blank.json()["errors"][0]["type"] == "string_too_short"
    assert await count(hub, "access_request") == 0


async def test_inconsistent_legal_basis_and_period(hub) -> None:
    project = await hub.project()
    dataset_id = await hub.dataset()
    for overrides in (
        {"legal_basis": {"kind": "reference_methodology"}},
        {"legal_basis": {"kind": "cnil_authorisation", "methodology": "MR-001"}},
        {"legal_basis": {"kind": "reference_methodology", "methodology": "MR-007"}},
        {"period_start": "2021-01-01", "period_end": "2020-01-01"},
        {"datasets": []},
    ):
        response = await file(hub, hub.request_body(project["id"], dataset_id, **overrides))
        assert response.status_code == 422, overrides
    assert await count(hub, "access_request") == 0


async def test_only_members_file_for_a_project(hub) -> None:
    project = await hub.project("alice")
    dataset_id = await hub.dataset()
    response = await file(hub, hub.request_body(project["id"], dataset_id), sub="mallory")
    assert response.status_code == 404
    staff = await hub.client.post(
        "/access/requests",
        json=hub.request_body(project["id"], dataset_id),
        headers=hub.as_("hub_staff"),
    )
    assert staff.status_code == 403


async def test_drafts_are_private_to_the_project(hub) -> None:
    request = await hub.draft("alice")
    url = f"/access/requests/{request['id']}"
    for role, sub in (
        ("hub_staff", "sam"),
        ("researcher", "mallory"),
        ("committee_member", "carl"),
    ):
        assert (await hub.client.get(url, headers=hub.as_(role, sub))).status_code == 404
    listed = await hub.client.get("/access/requests", headers=hub.as_("hub_staff"))
    assert listed.json()["items"] == []


async def test_applicant_changes_a_draft_or_an_incomplete_request(hub) -> None:
    request = await hub.draft()
    rid, url = request["id"], f"/access/requests/{request['id']}"
    alice = hub.as_("researcher", "alice")
    variables = [
        {"table": "patients", "name": "age", "justification": "Age."},
        {"table": "patients", "name": "sex", "justification": "Sex."},
    ]
    datasets = [{"dataset_id": request["datasets"][0]["dataset_id"], "variables": variables}]
    changed = await hub.client.patch(url, json={"version": 1, "datasets": datasets}, headers=alice)
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2
    assert [v["name"] for v in changed.json()["datasets"][0]["variables"]] == ["age", "sex"]

    stale = await hub.client.patch(
        url, json={"version": 1, "expected_duration_months": 6}, headers=alice
    )
    assert stale.status_code == 409 and stale.json()["type"] == "/problems/stale-version"
    unknown = [{**datasets[0], "variables": [{"table": "x", "name": "y", "justification": "z"}]}]
    refused = await hub.client.patch(url, json={"version": 2, "datasets": unknown}, headers=alice)
    assert refused.status_code == 409 and refused.json()["type"] == "/problems/unknown-variable"
    inconsistent = await hub.client.patch(
        url, json={"version": 2, "period_end": "1999-01-01"}, headers=alice
    )
    assert inconsistent.status_code == 409
    assert inconsistent.json()["type"] == "/problems/invalid-request-content"
    mallory = await hub.client.patch(
        url, json={"version": 2}, headers=hub.as_("researcher", "mallory")
    )
    assert mallory.status_code == 404
    assert (await hub.get(rid, "researcher", "alice"))["version"] == 2

    await hub.drive_to(rid, "submitted")
    frozen = await hub.client.patch(
        url, json={"version": 3, "expected_duration_months": 6}, headers=alice
    )
    assert frozen.status_code == 409 and frozen.json()["current_state"] == "submitted"
    await hub.ok(rid, "request_info", "hub_staff", "sam", reason="Shorter, please.")
    version = (await hub.get(rid, "researcher", "alice"))["version"]
    shortened = await hub.client.patch(
        url, json={"version": version, "expected_duration_months": 6}, headers=alice
    )
    assert shortened.status_code == 200 and shortened.json()["expected_duration_months"] == 6

"""A reviewer who declared a conflict of interest no longer reads the request's file."""

import pytest

FILE = ["", "/documents", "/messages", "/records", "/transitions"]


@pytest.mark.parametrize(("role", "sub"), [("committee_member", "carl"), ("regulator", "rita")])
async def test_a_conflicted_reviewer_reads_nothing_of_the_request(hub, role, sub) -> None:
    request = await hub.draft()
    rid = request["id"]
    await hub.drive_to(rid, "committee_review")
    document = (await hub.upload(rid, "other")).json()
    await hub.record(rid, "messages", {"body": "A question."}, "hub_staff", "sam")
    paths = [f"/access/requests/{rid}{p}" for p in FILE]
    paths.append(f"/access/requests/{rid}/documents/{document['id']}/content")
    for path in paths:
        assert (await hub.client.get(path, headers=hub.as_(role, sub))).status_code == 200, path
    declared = await hub.record(rid, "conflicts", {"statement": "My co-author."}, role, sub)
    assert declared.status_code == 201, declared.text
    for path in paths:
        response = await hub.client.get(path, headers=hub.as_(role, sub))
        assert response.status_code == 404, path
        assert response.json()["type"] == "/problems/not-found"
        other = await hub.client.get(path, headers=hub.as_(role, f"{sub}-2"))
        assert other.status_code == 200, path
    listed = await hub.client.get("/access/requests", headers=hub.as_(role, sub))
    assert rid not in [r["id"] for r in listed.json()["items"]]
    listed = await hub.client.get("/access/requests", headers=hub.as_(role, f"{sub}-2"))
    assert rid in [r["id"] for r in listed.json()["items"]]


async def test_a_conflicted_member_writes_nothing_either(hub) -> None:
    request = await hub.draft()
    rid = request["id"]
    await hub.drive_to(rid, "committee_review")
    await hub.record(rid, "conflicts", {"statement": "s"}, "committee_member", "carl")
    opinion = {"outcome": "favourable", "reference": "C", "decided_on": "2026-01-05", "text": "t"}
    for what, body in [
        ("opinions", opinion),
        ("messages", {"body": "?"}),
        ("conflicts", {"statement": "again"}),
    ]:
        response = await hub.record(rid, what, body, "committee_member", "carl")
        assert response.status_code == 404, what
    assert (await hub.upload(rid, "other", "committee_member", "carl")).status_code == 404

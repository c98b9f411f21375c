"""Projects: members and roles; a researcher sees and edits only projects they belong to."""

from hdh_dev.testing import bearer


async def test_creator_is_principal_investigator_and_adds_members(hub) -> None:
    project = await hub.project("alice")
    assert project["principal_investigator"] == "alice"
    added = await hub.client.post(
        f"/access/projects/{project['id']}/members",
        json={"subject": "bob", "role": "data_manager"},
        headers=hub.as_("researcher", "alice"),
    )
    assert added.status_code == 201
    assert {(m["subject"], m["role"]) for m in added.json()["members"]} == {
        ("alice", "pi"),
        ("bob", "data_manager"),
    }
    edited = await hub.client.patch(
        f"/access/projects/{project['id']}",
        json={"funding": "ANR"},
        headers=hub.as_("researcher", "bob"),
    )
    assert edited.status_code == 200 and edited.json()["funding"] == "ANR"
    assert edited.json()["version"] == 3


async def test_another_researcher_cannot_see_or_edit(hub) -> None:
    project = await hub.project("alice")
    await hub.project("mallory")
    url = f"/access/projects/{project['id']}"
    mallory = hub.as_("researcher", "mallory")
    assert (await hub.client.get(url, headers=mallory)).status_code == 404
    assert (await hub.client.patch(url, json={"title": "x"}, headers=mallory)).status_code == 404
    members = await hub.client.post(
        f"{url}/members", json={"subject": "mallory", "role": "member"}, headers=mallory
    )
    assert members.status_code == 404
    listed = (await hub.client.get("/access/projects", headers=mallory)).json()["items"]
    assert [p["principal_investigator"] for p in listed] == ["mallory"]
    unchanged = (await hub.client.get(url, headers=hub.as_("researcher", "alice"))).json()
    assert unchanged["title"] == project["title"] and len(unchanged["members"]) == 1


async def test_plain_member_reads_but_cannot_edit_or_manage(hub) -> None:
    project = await hub.project("alice")
    url = f"/access/projects/{project['id']}"
    await hub.client.post(
        f"{url}/members",
        json={"subject": "bob", "role": "member"},
        headers=hub.as_("researcher", "alice"),
    )
    bob = hub.as_("researcher", "bob")
    assert (await hub.client.get(url, headers=bob)).status_code == 200
    assert (await hub.client.patch(url, json={"title": "x"}, headers=bob)).status_code == 403
    removal = await hub.client.delete(f"{url}/members/alice", headers=bob)
    assert removal.status_code == 403
    pi_removal = await hub.client.delete(
        f"{url}/members/alice", headers=hub.as_("researcher", "alice")
    )
    assert pi_removal.status_code == 409


async def test_staff_read_all_other_roles_do_not(hub) -> None:
    project = await hub.project("alice")
    url = f"/access/projects/{project['id']}"
    assert (await hub.client.get(url, headers=hub.as_("hub_staff"))).status_code == 200
    assert (await hub.client.get(url, headers=hub.as_("committee_member"))).status_code == 404
    assert (
        await hub.client.patch(url, json={"title": "x"}, headers=hub.as_("hub_staff"))
    ).status_code == 403
    assert (
        await hub.client.get("/access/projects", headers=hub.as_("producer"))
    ).status_code == 403
    creation = await hub.client.post("/access/projects", json={}, headers=hub.as_("hub_staff"))
    assert creation.status_code == 403


async def test_bad_project_input(hub) -> None:
    response = await hub.client.post(
        "/access/projects", json={"title": ""}, headers=hub.as_("researcher", "alice")
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert {tuple(e["loc"]) for e in response.json()["errors"]} >= {
        ("body", "title"),
        ("body", "purpose"),
    }
    unauthenticated = await hub.client.get("/access/projects")
    assert unauthenticated.status_code == 401


PROJECT = {"title": "t", "summary": "s", "lay_summary": "l", "purpose": "p", "public_interest": "i"}


def as_researcher(hub, sub: str, org: str | None) -> dict[str, str]:
    return bearer(hub.make_token("access", "researcher", sub=sub, org=org))


async def test_the_organisation_is_the_callers_and_reaches_the_register(hub) -> None:
    created = await hub.client.post(
        "/access/projects", json=PROJECT, headers=as_researcher(hub, "alice", "inserm")
    )
    assert created.status_code == 201, created.text
    assert created.json()["organisation"] == "inserm"
    same = PROJECT | {"organisation": "inserm"}
    assert (
        await hub.client.post(
            "/access/projects", json=same, headers=as_researcher(hub, "a", "inserm")
        )
    ).status_code == 201
    request = await hub.draft("alice")
    await hub.drive_to(request["id"], "authorised")
    [entry] = (await hub.client.get("/access/register")).json()["items"]
    assert entry["organisation"] == "org"  # the token's (conftest signs org="org")


async def test_nobody_publishes_a_project_under_another_organisation(hub) -> None:
    spoofed = PROJECT | {"organisation": "Institut Pasteur"}
    refused = await hub.client.post(
        "/access/projects", json=spoofed, headers=as_researcher(hub, "mallory", "inserm")
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["type"] == "/problems/organisation-mismatch"
    nameless = await hub.client.post(
        "/access/projects", json=PROJECT, headers=as_researcher(hub, "mallory", None)
    )
    assert nameless.status_code == 403
    assert nameless.json()["type"] == "/problems/organisation-mismatch"
    listed = await hub.client.get("/access/projects", headers=as_researcher(hub, "mallory", "x"))
    assert listed.json()["items"] == []


async def test_the_lay_summary_is_required_plain_text_and_capped(hub) -> None:
    alice = hub.as_("researcher", "alice")
    bad = [{}, {"lay_summary": "   "}, {"lay_summary": "x" * 2001}, {"lay_summary": "a\x00b"}]
    for change in bad:
        body = {k: v for k, v in PROJECT.items() if k != "lay_summary"} | change
        response = await hub.client.post("/access/projects", json=body, headers=alice)
        assert response.status_code == 422, change
        assert [e["loc"] for e in response.json()["errors"]] == [["body", "lay_summary"]]
    created = await hub.client.post(
        "/access/projects", json=PROJECT | {"lay_summary": " " + "x" * 2000 + " "}, headers=alice
    )
    assert created.status_code == 201 and created.json()["lay_summary"] == "x" * 2000
    url = f"/access/projects/{created.json()['id']}"
    edited = await hub.client.patch(url, json={"lay_summary": "Plain words."}, headers=alice)
    assert edited.json()["lay_summary"] == "Plain words."
    refused = await hub.client.patch(url, json={"lay_summary": ""}, headers=alice)
    assert refused.status_code == 422

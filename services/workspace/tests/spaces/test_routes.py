"""Who reads a project space, decided on live state at each request: members under a live
grant (confirmed by the access service now), hub staff; a stranger is told nothing (404),
a removed member or a revoked grant is refused on the very next request (403)."""

import time
import uuid

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from hdh_dev.processes import free_port
from hdh_dev.testing import AccessRights, SettingsFactory, TokenFactory, bearer, running
from workspace.main import create_app

from ..support import completed, deliver, issued, open_space

PROJECT = uuid.uuid4()


def paths(project: uuid.UUID = PROJECT) -> list[str]:
    return [f"/workspace/projects/{project}", f"/workspace/projects/{project}/tables"]


async def statuses(client: httpx.AsyncClient, headers: dict[str, str]) -> list[int]:
    return [(await client.get(path, headers=headers)).status_code for path in paths()]


async def test_a_member_reads_the_space_and_its_tables_a_stranger_finds_nothing(
    workspace_settings: SettingsFactory,
    make_token: TokenFactory,
    engine: AsyncEngine,
    access_rights: AccessRights,
) -> None:
    grant = await open_space(engine, PROJECT, ["alice"], "PEOPLE", "CARE")
    await open_space(engine, uuid.uuid4(), ["bruno"], "OTHER")
    alice = bearer(make_token("workspace", "researcher", sub="alice"))
    bruno = bearer(make_token("workspace", "researcher", sub="bruno"))
    async with running(create_app(workspace_settings(access_url=access_rights.url))) as client:
        space = (await client.get(paths()[0], headers=alice)).json()
        tables = (await client.get(paths()[1], headers=alice, params={"limit": 1})).json()
        rest = await client.get(
            paths()[1], headers=alice, params={"limit": 1, "cursor": tables["next_cursor"]}
        )
        mine = (await client.get("/workspace/projects", headers=alice)).json()
        stranger = await client.get(paths()[1], headers=bruno)
        assert await statuses(client, bruno) == [404, 404]
    assert (space["status"], space["members"], space["grants"][0]["id"]) == (
        "open",
        ["alice"],
        str(grant),
    )
    listed = tables["items"] + rest.json()["items"]
    assert [t["name"] for t in listed] == ["CARE", "PEOPLE"]  # by name
    assert listed[0]["columns"][1] == {"name": "AGE", "type": "int32", "kind": "none"}
    assert (listed[0]["rows"], listed[0]["period_end"], listed[0]["grant_id"]) == (
        1200,
        "2020-12-31",
        str(grant),
    )
    assert "object_key" not in listed[0]  # metadata only: nothing that reaches the data
    assert [s["project_id"] for s in mine["items"]] == [str(PROJECT)]
    assert stranger.headers["content-type"] == "application/problem+json"
    assert (grant, "alice") in access_rights.asked


async def test_a_removed_member_or_a_revoked_grant_is_refused_on_the_next_request(
    workspace_settings: SettingsFactory,
    make_token: TokenFactory,
    engine: AsyncEngine,
    access_rights: AccessRights,
) -> None:
    grant = await open_space(engine, PROJECT, ["alice", "carla"], "PEOPLE")
    alice = bearer(make_token("workspace", "researcher", sub="alice"))
    carla = bearer(make_token("workspace", "researcher", sub="carla"))
    async with running(create_app(workspace_settings(access_url=access_rights.url))) as client:
        assert await statuses(client, carla) == [200, 200]
        removal = {"project_id": str(PROJECT), "subject": "carla"}
        await deliver(engine, "hdh.access.project.member_removed.v1", removal)
        assert await statuses(client, carla) == [403, 403]

        assert await statuses(client, alice) == [200, 200]
        access_rights.refused.add("alice")  # revoked at the access service, no event yet
        refused = await client.get(paths()[1], headers=alice)
        assert refused.status_code == 403 and "Not a reader" in refused.json()["detail"]

        await deliver(engine, "hdh.access.grant.revoked.v1", {"grant_id": str(grant)})
        access_rights.refused.clear()
        asked = len(access_rights.asked)
        answer = await client.get(paths()[1], headers=alice)
        assert (answer.status_code, answer.json()["type"]) == (403, "/problems/access-ended")
        assert len(access_rights.asked) == asked  # refused here, without asking

        await deliver(engine, "hdh.access.project.closed.v1", {"project_id": str(PROJECT)})
        assert await statuses(client, alice) == [403, 403]


async def test_hub_staff_read_every_space_other_roles_none(
    workspace_settings: SettingsFactory,
    make_token: TokenFactory,
    engine: AsyncEngine,
    access_rights: AccessRights,
) -> None:
    await open_space(engine, PROJECT, ["alice"], "PEOPLE")
    await open_space(engine, uuid.uuid4(), ["bruno"])
    staff = bearer(make_token("workspace", "hub_staff", sub="sara"))
    async with running(create_app(workspace_settings(access_url=access_rights.url))) as client:
        assert await statuses(client, staff) == [200, 200]
        everything = (await client.get("/workspace/projects", headers=staff)).json()
        assert len(everything["items"]) == 2
        for role in ("partner", "producer", "auditor", "committee_member", "regulator"):
            headers = bearer(make_token("workspace", role, sub="alice"))
            assert await statuses(client, headers) == [403, 403], role
            listing = await client.get("/workspace/projects", headers=headers)
            assert listing.status_code == 403, role
    assert access_rights.asked == []  # staff read metadata without a grant


def tampered(token: str) -> str:
    head, body, signature = token.split(".")
    return ".".join([head, body, ("A" if signature[0] != "A" else "B") + signature[1:]])


@pytest.mark.parametrize("case", ["missing", "expired", "tampered", "wrong audience"])
async def test_a_bad_token_is_refused(
    workspace_settings: SettingsFactory,
    make_token: TokenFactory,
    engine: AsyncEngine,
    access_rights: AccessRights,
    case: str,
) -> None:
    await open_space(engine, PROJECT, ["alice"], "PEOPLE")
    tokens = {
        "missing": None,
        "expired": make_token("workspace", "researcher", sub="alice", now=time.time() - 3600),
        "tampered": tampered(make_token("workspace", "researcher", sub="alice")),
        "wrong audience": make_token("linkage", "researcher", sub="alice"),
    }
    token = tokens[case]
    headers = bearer(token) if token else {}
    async with running(create_app(workspace_settings(access_url=access_rights.url))) as client:
        for path in [*paths(), "/workspace/projects"]:
            answer = await client.get(path, headers=headers)
            assert answer.status_code == 401, (path, answer.text)
    assert access_rights.asked == []


async def test_the_access_service_out_of_reach_refuses(
    workspace_settings: SettingsFactory, make_token: TokenFactory, engine: AsyncEngine
) -> None:
    await open_space(engine, PROJECT, ["alice"], "PEOPLE")
    alice = bearer(make_token("workspace", "researcher", sub="alice"))
    settings = workspace_settings(access_url=f"http://127.0.0.1:{free_port()}")
    async with running(create_app(settings)) as client:
        answers = [await client.get(path, headers=alice) for path in paths()]
    assert [a.status_code for a in answers] == [503, 503]
    assert answers[0].json()["type"] == "/problems/service-unavailable"


async def test_a_grant_past_its_last_day_opens_nothing_even_before_its_expiry_event(
    workspace_settings: SettingsFactory,
    make_token: TokenFactory,
    engine: AsyncEngine,
    access_rights: AccessRights,
) -> None:
    grant = uuid.uuid4()
    lapsed = issued(PROJECT, grant, ["alice"], days_left=-2)
    await deliver(engine, "hdh.access.grant.issued.v1", lapsed)
    await deliver(engine, "hdh.linkage.extract.completed.v1", completed(PROJECT, grant, "A"))
    alice = bearer(make_token("workspace", "researcher", sub="alice"))
    async with running(create_app(workspace_settings(access_url=access_rights.url))) as client:
        assert await statuses(client, alice) == [403, 403]
    assert access_rights.asked == []

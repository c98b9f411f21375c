"""Aggregate queries through the service, on the real database and object store: only the
project's members ask, under live rights; the answer is disclosure-controlled; each query is
recorded for the audit log; a revocation refuses the next query and stops a running one."""

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from hdh_dev.testing import AccessRights, SettingsFactory, TokenFactory, bearer, running
from workspace.main import create_app

from ..support import deliver, one_person, people, register

QUERY = {
    "tables": ["PEOPLE"],
    "group_by": [{"column": "SEX"}, {"column": "AGE", "bins": {"width": 20}}],
    "measures": [{"kind": "persons"}, {"kind": "sum", "column": "AMOUNT"}],
}


def cells(answer: dict[str, Any]) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {
        tuple("*" if m else k for k, m in zip(c["keys"], c["margin"], strict=True)): c
        for c in answer["cells"]
    }


async def answered(engine: AsyncEngine) -> list[dict[str, Any]]:
    query = "SELECT payload->'data' FROM workspace.outbox WHERE payload->>'type' = :type"
    async with engine.connect() as connection:
        found = await connection.execute(
            sa.text(query), {"type": "hdh.workspace.query.answered.v1"}
        )
        return [row[0] for row in found]


async def test_a_member_gets_persons_by_sex_and_age_band_only_safe_cells(
    settings: Any,
    make_token: TokenFactory,
    engine: AsyncEngine,
    objects: Path,
    access_rights: AccessRights,
) -> None:
    project = uuid.uuid4()
    await register(engine, objects, project, ["alice"], PEOPLE=people())
    alice = bearer(make_token("workspace", "researcher", sub="alice"))
    async with running(create_app(settings)) as client:
        response = await client.post(
            f"/workspace/projects/{project}/queries", json=QUERY, headers=alice
        )
        assert response.status_code == 200, response.text
        found = cells(response.json())

    assert found[("M", 40)]["suppressed"] and found[("M", 40)]["reasons"] == ["threshold"]
    assert found[("M", 40)]["persons"] is None
    complements = {k for k, c in found.items() if "secondary" in c["reasons"]}
    assert complements & {("M", 20), ("F", 40), ("M", "*"), ("*", 40)}
    dominated = found[("F", 40)]
    assert dominated["suppressed"] and {"dominance-p", "dominance-nk"} & set(dominated["reasons"])
    assert found[("*", 20)]["persons"] == 55 and not found[("*", 20)]["reasons"]
    assert found[("M", "*")]["values"] == {"persons": 29, "sum_AMOUNT": 300}  # rounded
    [event] = await answered(engine)
    assert event["project_id"] == str(project) and event["request"]["tables"] == ["PEOPLE"]
    assert event["suppressed"] == sum(c["suppressed"] for c in found.values()) > 0


async def test_only_a_member_under_a_live_grant_may_ask(
    settings: Any,
    make_token: TokenFactory,
    engine: AsyncEngine,
    objects: Path,
    access_rights: AccessRights,
) -> None:
    project = uuid.uuid4()
    grant = await register(engine, objects, project, ["alice", "carla"], PEOPLE=people())
    await register(engine, objects, uuid.uuid4(), ["bruno"], OTHER=people())
    path = f"/workspace/projects/{project}/queries"

    def token(*roles: str, sub: str) -> dict[str, str]:
        return bearer(make_token("workspace", *roles, sub=sub))

    async with running(create_app(settings)) as client:

        async def status(headers: dict[str, str] | None = None) -> int:
            return (await client.post(path, json=QUERY, headers=headers)).status_code

        assert await status(token("researcher", sub="alice")) == 200
        assert await status(token("researcher", sub="bruno")) == 404  # another project's
        assert await status(token("hub_staff", sub="hugo")) == 403  # staff read metadata only
        assert await status(token("partner", sub="partner-x")) == 403
        assert await status() == 401
        access_rights.refused.add("carla")  # the access service says no, at once
        assert await status(token("researcher", sub="carla")) == 403
        await deliver(engine, "hdh.access.grant.revoked.v1", {"grant_id": str(grant)})
        refused = await client.post(path, json=QUERY, headers=token("researcher", sub="alice"))
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"].endswith("/problems/access-ended")


@pytest.mark.parametrize(
    ("query", "status", "problem"),
    [
        ({"tables": ["OTHER"]}, 404, "unknown-table"),  # another project's table
        ({"tables": ["PEOPLE"], "group_by": [{"column": "NAME"}]}, 400, "unknown-column"),
        (
            {"tables": ["PEOPLE"], "measures": [{"kind": "max", "column": "AGE"}]},
            400,
            "measure-refused",
        ),
        ({"tables": ["PEOPLE"], "group_by": [{"column": "NIR"}]}, 400, "invalid-query"),
        ({"tables": []}, 422, "validation-error"),
        ({"tables": ["PEOPLE"], "sql": "SELECT 1"}, 422, "validation-error"),
    ],
)
async def test_a_query_outside_the_rules_is_a_problem(
    query: dict[str, Any],
    status: int,
    problem: str,
    settings: Any,
    make_token: TokenFactory,
    engine: AsyncEngine,
    objects: Path,
    access_rights: AccessRights,
) -> None:
    project = uuid.uuid4()
    await register(engine, objects, project, ["alice"], PEOPLE=people())
    await register(engine, objects, uuid.uuid4(), ["bruno"], OTHER=people())
    alice = bearer(make_token("workspace", "researcher", sub="alice"))
    async with running(create_app(settings)) as client:
        response = await client.post(
            f"/workspace/projects/{project}/queries", json=query, headers=alice
        )
    assert (response.status_code, response.json()["type"].rsplit("/", 1)[-1]) == (status, problem)
    assert await answered(engine) == []


async def test_a_join_past_the_limits_is_stopped(
    workspace_settings: SettingsFactory,
    make_token: TokenFactory,
    engine: AsyncEngine,
    objects: Path,
    access_rights: AccessRights,
    tmp_path: Path,
) -> None:
    project = uuid.uuid4()
    await register(engine, objects, project, ["alice"], A=one_person(20_000), B=one_person(20_000))
    settings = workspace_settings(
        access_url=access_rights.url, workspace_files_path=tmp_path, workspace_query_seconds=0.5
    )
    alice = bearer(make_token("workspace", "researcher", sub="alice"))
    query = {"tables": ["A", "B"], "measures": [{"kind": "count"}]}
    async with running(create_app(settings)) as client:
        response = await client.post(
            f"/workspace/projects/{project}/queries", json=query, headers=alice
        )
    assert response.status_code == 400
    assert response.json()["type"].endswith("/problems/query-limit-exceeded")


async def test_a_revocation_stops_a_running_query(
    settings: Any,
    make_token: TokenFactory,
    engine: AsyncEngine,
    objects: Path,
    access_rights: AccessRights,
) -> None:
    project = uuid.uuid4()
    grant = await register(
        engine, objects, project, ["alice"], A=one_person(30_000), B=one_person(30_000)
    )
    alice = bearer(make_token("workspace", "researcher", sub="alice"))
    query = {"tables": ["A", "B"], "measures": [{"kind": "count"}]}
    async with running(create_app(settings)) as client:
        asked = asyncio.create_task(
            client.post(f"/workspace/projects/{project}/queries", json=query, headers=alice)
        )
        await asyncio.sleep(1.0)
        assert not asked.done()
        await deliver(engine, "hdh.access.grant.revoked.v1", {"grant_id": str(grant)})
        response = await asyncio.wait_for(asked, timeout=5)
    assert response.status_code == 403
    assert "grant of the project ended" in response.json()["detail"]

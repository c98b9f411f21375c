"""Free SQL through the service, on the real database and object store: attacks refused
with a problem, results kept in the space as tables (never returned), progress followed,
a cancellation or a revocation stopping a running analysis."""

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from hdh_dev.testing import (
    AccessRights,
    SettingsFactory,
    TokenFactory,
    bearer,
    eventually,
    running,
    scraped,
)
from workspace.main import create_app

from ..support import deliver, one_person, people, register

SPENDING = "SELECT NIR, SEX, sum(AMOUNT) AS SPENT FROM PEOPLE GROUP BY ALL"


def path(project: uuid.UUID) -> str:
    return f"/workspace/projects/{project}/analyses"


async def finished(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], timeout: float = 30
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        analysis: dict[str, Any] = (await client.get(url, headers=headers)).json()
        if analysis["state"] in ("succeeded", "failed", "cancelled"):
            return analysis
        assert time.monotonic() < deadline, analysis
        await asyncio.sleep(0.1)


async def running_state(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> None:
    deadline = time.monotonic() + 15
    while (await client.get(url, headers=headers)).json()["state"] != "running":
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)


async def stored(engine: AsyncEngine, query: str) -> list[Any]:
    async with engine.connect() as connection:
        return list((await connection.execute(sa.text(query))).all())


async def test_a_result_becomes_a_table_of_the_space_never_rows_in_the_answer(
    settings: Any,
    make_token: TokenFactory,
    engine: AsyncEngine,
    objects: Path,
    access_rights: AccessRights,
) -> None:
    project = uuid.uuid4()
    await register(engine, objects, project, ["alice"], PEOPLE=people())
    alice = bearer(make_token("workspace", "researcher", sub="alice"))
    body = {"sql": SPENDING, "name": "SPENDING"}
    durations = {"kind": "analysis", "outcome": "succeeded"}
    async with running(create_app(settings)) as client:
        assert await scraped(client, "hdh_job_duration_seconds_count", **durations) is None
        submitted = await client.post(path(project), json=body, headers=alice)
        assert submitted.status_code == 202, submitted.text
        done = await finished(client, submitted.headers["location"], alice)

        async def measured() -> bool:
            return await scraped(client, "hdh_job_duration_seconds_count", **durations) == 1

        await eventually(measured)
        tables = (await client.get(f"/workspace/projects/{project}/tables", headers=alice)).json()
        query = {"tables": ["SPENDING"], "group_by": [{"column": "SEX"}]}
        counted = await client.post(
            f"/workspace/projects/{project}/queries", json=query, headers=alice
        )
        listed = (await client.get(path(project), headers=alice)).json()
    assert (done["state"], done["rows"], done["progress"]) == ("succeeded", 79, 100.0)
    assert done["tables"] == ["PEOPLE"] and "NIR" not in submitted.text.replace(SPENDING, "")
    spending = next(t for t in tables["items"] if t["name"] == "SPENDING")
    assert spending["id"] == done["table_id"] and spending["rows"] == 79
    assert {c["name"]: c["kind"] for c in spending["columns"]}["NIR"] == "pseudonym"
    persons = {c["keys"][0]: c["persons"] for c in counted.json()["cells"]}
    assert persons == {"F": 50, "M": 29, None: 79}
    assert [a["id"] for a in listed["items"]] == [done["id"]]
    events = await stored(
        engine,
        "SELECT payload->>'type', payload->'data'->>'state' FROM workspace.outbox"
        " WHERE payload->>'type' LIKE 'hdh.workspace.analysis.%' ORDER BY id",
    )
    assert events == [
        ("hdh.workspace.analysis.submitted.v1", None),
        ("hdh.workspace.analysis.finished.v1", "succeeded"),
    ]


@pytest.mark.parametrize(
    ("sql", "status", "problem"),
    [
        ("SELECT * FROM PEOPLE; SELECT * FROM PEOPLE", 400, "unsafe-sql"),
        ("COPY PEOPLE TO '/tmp/people.csv'", 400, "unsafe-sql"),
        ("ATTACH '/tmp/other.duckdb' AS other", 400, "unsafe-sql"),
        ("SELECT * FROM read_csv('/etc/passwd')", 400, "unsafe-sql"),
        ("INSTALL httpfs", 400, "unsafe-sql"),
        ("PRAGMA database_list", 400, "unsafe-sql"),
        ("SELECT * FROM OTHER", 404, "unknown-table"),  # another project's table
    ],
)
async def test_an_attack_is_refused_with_a_problem_and_nothing_stored(
    sql: str,
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
        response = await client.post(path(project), json={"sql": sql, "name": "X"}, headers=alice)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == f"/problems/{problem}"
    assert await stored(engine, "SELECT id FROM workspace.analysis") == []


async def test_a_cross_join_past_the_limits_fails_with_a_problem(
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
        access_url=access_rights.url,
        workspace_files_path=tmp_path / "files",
        workspace_analysis_seconds=0.5,
    )
    alice = bearer(make_token("workspace", "researcher", sub="alice"))
    body = {"sql": "SELECT count(*) AS n FROM A, B WHERE A.AGE + B.AGE > 3", "name": "HUGE"}
    async with running(create_app(settings)) as client:
        submitted = await client.post(path(project), json=body, headers=alice)
        done = await finished(client, submitted.headers["location"], alice)
    assert done["state"] == "failed" and done["table_id"] is None
    assert done["problem"]["type"] == "/problems/query-limit-exceeded"
    assert "0.5 s" in done["problem"]["detail"]


async def test_a_member_cancels_and_a_revocation_stops_a_running_analysis(
    settings: Any,
    make_token: TokenFactory,
    engine: AsyncEngine,
    objects: Path,
    access_rights: AccessRights,
) -> None:
    project = uuid.uuid4()
    grant = await register(
        engine, objects, project, ["alice"], A=one_person(40_000), B=one_person(40_000)
    )
    alice = bearer(make_token("workspace", "researcher", sub="alice"))
    body = {"sql": "SELECT count(*) AS n FROM A, B WHERE A.AGE + B.AGE > 3", "name": "SLOW"}
    async with running(create_app(settings)) as client:
        first = (await client.post(path(project), json=body, headers=alice)).headers["location"]
        await running_state(client, first, alice)
        cancelled = await client.delete(first, headers=alice)
        again = await client.delete(first, headers=alice)
        second = (await client.post(path(project), json=body, headers=alice)).headers["location"]
        await running_state(client, second, alice)
        await deliver(engine, "hdh.access.grant.revoked.v1", {"grant_id": str(grant)})
        started = time.monotonic()
        query = "SELECT state, problem->>'type' FROM workspace.analysis WHERE id = "
        query += f"'{second.rsplit('/', 1)[-1]}'"
        while (stopped := (await stored(engine, query))[0])[0] == "running":
            assert time.monotonic() - started < 5
            await asyncio.sleep(0.1)
        refused = await client.get(second, headers=alice)  # nor can she follow it now
    # the first one's worker was freed at once: the second one ran
    assert cancelled.json()["state"] == "cancelled" and again.status_code == 409
    assert tuple(stopped) == ("failed", "/problems/access-ended")
    assert refused.status_code == 403


async def test_only_a_member_under_a_live_grant_submits_or_follows(
    settings: Any,
    make_token: TokenFactory,
    engine: AsyncEngine,
    objects: Path,
    access_rights: AccessRights,
) -> None:
    project = uuid.uuid4()
    await register(engine, objects, project, ["alice", "carla"], PEOPLE=people())
    await register(engine, objects, uuid.uuid4(), ["bruno"], OTHER=people())
    body = {"sql": SPENDING, "name": "SPENDING"}

    def token(*roles: str, sub: str) -> dict[str, str]:
        return bearer(make_token("workspace", *roles, sub=sub))

    async with running(create_app(settings)) as client:
        mine = await client.post(path(project), json=body, headers=token("researcher", sub="alice"))
        url = mine.headers["location"]
        statuses = [
            (await client.post(path(project), json=body, headers=headers)).status_code
            for headers in (
                token("researcher", sub="bruno"),
                token("hub_staff", sub="hugo"),
                token("partner", sub="partner-x"),
                {},
            )
        ]
        follow = [
            (await client.get(url, headers=token("researcher", sub=who))).status_code
            for who in ("carla", "bruno")
        ]
        access_rights.refused.add("carla")
        refused = await client.get(url, headers=token("researcher", sub="carla"))
    assert statuses == [404, 403, 403, 401]
    assert follow == [200, 404]
    assert refused.status_code == 403


async def test_a_renamed_pseudonym_stays_a_pseudonym(
    settings: Any,
    make_token: TokenFactory,
    engine: AsyncEngine,
    objects: Path,
    access_rights: AccessRights,
) -> None:
    project = uuid.uuid4()
    await register(engine, objects, project, ["alice"], PEOPLE=people())
    alice = bearer(make_token("workspace", "researcher", sub="alice"))
    body = {"sql": "SELECT NIR AS who, SEX, AMOUNT FROM PEOPLE", "name": "RENAMED"}
    async with running(create_app(settings)) as client:
        submitted = await client.post(path(project), json=body, headers=alice)
        done = await finished(client, submitted.headers["location"], alice)
        tables = (await client.get(f"/workspace/projects/{project}/tables", headers=alice)).json()
        query = {"tables": ["RENAMED"], "group_by": [{"column": "who"}]}
        keyed = await client.post(
            f"/workspace/projects/{project}/queries", json=query, headers=alice
        )
    assert done["state"] == "succeeded"
    renamed = next(t for t in tables["items"] if t["name"] == "RENAMED")
    kinds = {c["name"]: c["kind"] for c in renamed["columns"]}
    assert kinds == {"who": "pseudonym", "SEX": "none", "AMOUNT": "none"}
    assert keyed.status_code == 400  # no cell keyed by a pseudonym
    assert keyed.json()["type"] == "/problems/invalid-query"

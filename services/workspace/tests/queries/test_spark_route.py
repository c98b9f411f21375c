"""Aggregate queries through the service on the Spark engine (``HDH_ENGINE=spark``): the
answer DuckDB gives, and the same limits: the time limit, and a revocation stopping a
running query (its Spark jobs cancelled)."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pyspark.sql import SparkSession
from sqlalchemy.ext.asyncio import AsyncEngine

from hdh_dev.testing import (
    AccessRights,
    SettingsFactory,
    TokenFactory,
    bearer,
    eventually,
    running,
)
from workspace.main import create_app

from ..support import deliver, one_person, people, register
from .test_route import QUERY

pytestmark = pytest.mark.spark
MASTER = "local[2]"  # the test session's Spark (the ``spark`` fixture), found started
CROSS_JOIN = {"tables": ["A", "B"], "measures": [{"kind": "count"}]}


def idle(spark: SparkSession) -> Callable[[], Awaitable[bool]]:
    """Whether no Spark job runs (a cancellation reaches the jobs a moment later)."""

    async def check() -> bool:
        return not spark.sparkContext.statusTracker().getActiveJobsIds()

    return check


@pytest.fixture
def spark_settings(settings: Any, spark: SparkSession) -> Any:
    return settings.model_copy(update={"engine": "spark", "spark_master": MASTER})


async def ask(settings: Any, project: uuid.UUID, query: dict[str, Any], token: Any) -> Any:
    path = f"/workspace/projects/{project}/queries"
    async with running(create_app(settings)) as client:
        return await client.post(path, json=query, headers=token)


async def test_spark_answers_what_duckdb_answers(
    settings: Any,
    spark_settings: Any,
    make_token: TokenFactory,
    engine: AsyncEngine,
    objects: Path,
    access_rights: AccessRights,
) -> None:
    project = uuid.uuid4()
    await register(engine, objects, project, ["alice", "carla"], PEOPLE=people())
    alice = bearer(make_token("workspace", "researcher", sub="alice"))
    filtered = QUERY | {"filters": [{"column": "AGE", "op": ">=", "value": 18}]}

    on_spark = [await ask(spark_settings, project, q, alice) for q in (QUERY, filtered)]
    on_duckdb = [await ask(settings, project, q, alice) for q in (QUERY, filtered)]
    access_rights.refused.add("carla")
    carla = bearer(make_token("workspace", "researcher", sub="carla"))
    refused = await ask(spark_settings, project, QUERY, carla)

    assert [r.status_code for r in on_spark] == [200, 200]
    assert [r.json() for r in on_spark] == [r.json() for r in on_duckdb]
    assert any(c["suppressed"] for c in on_spark[0].json()["cells"])
    assert any(not c["suppressed"] for c in on_spark[0].json()["cells"])
    assert refused.status_code == 403


async def test_a_query_past_its_time_on_spark_is_a_problem(
    workspace_settings: SettingsFactory,
    spark: SparkSession,
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
        workspace_files_path=tmp_path,
        workspace_query_seconds=2,
        engine="spark",
        spark_master=MASTER,
    )
    alice = bearer(make_token("workspace", "researcher", sub="alice"))

    response = await ask(settings, project, CROSS_JOIN, alice)

    assert response.status_code == 400
    assert response.json()["type"].endswith("/problems/query-limit-exceeded")
    await eventually(idle(spark), within=30)


async def test_a_revocation_cancels_a_running_query_on_spark(
    spark_settings: Any,
    spark: SparkSession,
    make_token: TokenFactory,
    engine: AsyncEngine,
    objects: Path,
) -> None:
    project = uuid.uuid4()
    grant = await register(
        engine, objects, project, ["alice"], A=one_person(30_000), B=one_person(30_000)
    )
    alice = bearer(make_token("workspace", "researcher", sub="alice"))
    tracker = spark.sparkContext.statusTracker()
    await eventually(idle(spark), within=30)
    async with running(create_app(spark_settings)) as client:
        asked = asyncio.create_task(
            client.post(f"/workspace/projects/{project}/queries", json=CROSS_JOIN, headers=alice)
        )
        for _ in range(100):  # until its Spark job runs
            await asyncio.sleep(0.1)
            if tracker.getActiveJobsIds():
                break
        assert not asked.done()
        await deliver(engine, "hdh.access.grant.revoked.v1", {"grant_id": str(grant)})
        response = await asyncio.wait_for(asked, timeout=15)
    assert response.status_code == 403
    assert "grant of the project ended" in response.json()["detail"]
    await eventually(idle(spark), within=30)
    answered = "SELECT count(*) FROM workspace.outbox WHERE payload->>'type' = :type"
    async with engine.connect() as connection:
        found = await connection.scalar(
            sa.text(answered), {"type": "hdh.workspace.query.answered.v1"}
        )
    assert found == 0

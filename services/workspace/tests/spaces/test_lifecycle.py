"""The space follows the project's events, on the real database: each change at once, each
published on the outbox for the audit trail, each event applied once however often it comes."""

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from ..support import completed, deliver, issued, open_space


async def rows(engine: AsyncEngine, query: str) -> list[Any]:
    async with engine.connect() as connection:
        return list((await connection.execute(sa.text(query))).all())


async def published(engine: AsyncEngine) -> list[str]:
    found = await rows(engine, "SELECT payload->>'type' FROM workspace.outbox ORDER BY id")
    return [row[0] for row in found]


async def space(engine: AsyncEngine, project: uuid.UUID) -> Any:
    query = "SELECT status, members, former_members FROM workspace.space WHERE project_id = "
    query += f"'{project}'"
    return (await rows(engine, query))[0]


async def test_a_grant_opens_the_space_and_an_extract_registers_its_tables(
    engine: AsyncEngine,
) -> None:
    project, grant = uuid.uuid4(), uuid.uuid4()
    await deliver(engine, "hdh.access.grant.issued.v1", issued(project, grant, ["alice", "carla"]))
    await deliver(engine, "hdh.access.grant.issued.v1", issued(project, grant, ["alice", "carla"]))
    assert tuple(await space(engine, project)) == ("open", ["alice", "carla"], [])

    await deliver(engine, "hdh.linkage.extract.completed.v1", completed(project, grant, "A", "B"))
    tables = await rows(
        engine, "SELECT name, rows, key_version, columns FROM workspace.project_table"
    )
    assert sorted((t.name, t.rows, t.key_version) for t in tables) == [
        ("A", 1200, 2),
        ("B", 1200, 2),
    ]
    assert tables[0].columns[0] == {"name": "NIR", "type": "string", "kind": "pseudonym"}

    await deliver(engine, "hdh.linkage.extract.completed.v1", completed(project, grant, "A"))
    assert [t.name for t in await rows(engine, "SELECT name FROM workspace.project_table")] == ["A"]
    assert await published(engine) == [
        "hdh.workspace.space.opened.v1",  # once: the second grant event was the same grant
        "hdh.workspace.table.registered.v1",
        "hdh.workspace.table.registered.v1",
        "hdh.workspace.table.registered.v1",
    ]


@pytest.mark.parametrize("ending", ["revoked", "expired", "superseded", "ended"])
async def test_a_grant_that_ends_takes_its_tables_out_at_once(
    engine: AsyncEngine, ending: str
) -> None:
    project = uuid.uuid4()
    kept = await open_space(engine, project, ["alice"], "KEPT")
    ended = await open_space(engine, project, ["alice"], "GONE")
    await deliver(engine, f"hdh.access.grant.{ending}.v1", {"grant_id": str(ended)})
    await deliver(engine, f"hdh.access.grant.{ending}.v1", {"grant_id": str(ended)})
    names = await rows(engine, "SELECT name, grant_id FROM workspace.project_table")
    assert [(n.name, n.grant_id) for n in names] == [("KEPT", kept)]
    statuses = dict(await rows(engine, "SELECT id, status FROM workspace.grant"))
    assert statuses == {kept: "live", ended: ending}
    endings = await rows(
        engine,
        "SELECT payload->'data' FROM workspace.outbox"
        " WHERE payload->>'type' = 'hdh.workspace.access.ended.v1'",
    )
    assert [e[0] for e in endings] == [
        {"project_id": str(project), "grant_id": str(ended), "status": ending, "tables_removed": 1}
    ]


async def test_an_extract_of_an_ended_grant_registers_nothing(engine: AsyncEngine) -> None:
    project, grant = uuid.uuid4(), uuid.uuid4()
    await deliver(engine, "hdh.access.grant.issued.v1", issued(project, grant, ["alice"]))
    await deliver(engine, "hdh.access.grant.revoked.v1", {"grant_id": str(grant)})
    await deliver(engine, "hdh.linkage.extract.completed.v1", completed(project, grant, "A"))
    assert await rows(engine, "SELECT name FROM workspace.project_table") == []


async def test_an_extract_before_its_grant_waits_for_it(engine: AsyncEngine) -> None:
    """Two topics, no order between them: the tables are kept, and the grant's events that
    follow decide whether they are ever shown."""
    project, grant = uuid.uuid4(), uuid.uuid4()
    await deliver(engine, "hdh.linkage.extract.completed.v1", completed(project, grant, "A"))
    assert await rows(engine, "SELECT project_id FROM workspace.space") == []
    await deliver(engine, "hdh.access.grant.issued.v1", issued(project, grant, ["alice"]))
    assert [t[0] for t in await rows(engine, "SELECT name FROM workspace.project_table")] == ["A"]
    await deliver(engine, "hdh.access.grant.revoked.v1", {"grant_id": str(grant)})
    assert await rows(engine, "SELECT name FROM workspace.project_table") == []


def loaded(project: uuid.UUID, grant: uuid.UUID) -> dict[str, Any]:
    return {
        "upload_id": str(uuid.uuid4()),
        "project_id": str(project),
        "grant_id": str(grant),
        "job_id": str(uuid.uuid4()),
        "key_version": 2,
        "table": "cohort",
        "bucket": "projects",
        "object_key": f"{project}/data/{uuid.uuid4()}/cohort.parquet",
        "rows": 12,
        "columns": [{"name": "identifiant", "type": "string", "kind": "pseudonym"}],
    }


async def test_the_project_s_own_data_joins_the_space_under_its_grant_and_leaves_with_it(
    engine: AsyncEngine,
) -> None:
    project, grant = uuid.uuid4(), uuid.uuid4()
    await deliver(engine, "hdh.access.grant.issued.v1", issued(project, grant, ["alice"]))
    await deliver(engine, "hdh.linkage.project_data.loaded.v1", loaded(project, grant))
    tables = await rows(engine, "SELECT name, grant_id, dataset_id FROM workspace.project_table")
    assert [tuple(t) for t in tables] == [("cohort", grant, None)]
    assert (await published(engine))[-1] == "hdh.workspace.table.registered.v1"
    # the grant's extract, built again (after a failed preparation), replaces only itself
    await deliver(engine, "hdh.linkage.extract.completed.v1", completed(project, grant, "A"))
    await deliver(engine, "hdh.linkage.extract.completed.v1", completed(project, grant, "B"))
    names = await rows(engine, "SELECT name FROM workspace.project_table ORDER BY name")
    assert [n[0] for n in names] == ["B", "cohort"]
    await deliver(engine, "hdh.access.grant.revoked.v1", {"grant_id": str(grant)})
    assert await rows(engine, "SELECT name FROM workspace.project_table") == []
    await deliver(engine, "hdh.linkage.project_data.loaded.v1", loaded(project, grant))
    assert await rows(engine, "SELECT name FROM workspace.project_table") == []


async def test_members_come_and_go_with_the_project(engine: AsyncEngine) -> None:
    project = uuid.uuid4()
    await open_space(engine, project, ["alice"])
    for verb, subject in [("added", "bob"), ("added", "bob"), ("removed", "alice")]:
        data = {"project_id": str(project), "subject": subject, "role": "member"}
        await deliver(engine, f"hdh.access.project.member_{verb}.v1", data)
    assert tuple(await space(engine, project)) == ("open", ["bob"], ["alice"])

    await deliver(
        engine,
        "hdh.access.project.member_added.v1",
        {"project_id": str(project), "subject": "alice"},
    )
    assert tuple(await space(engine, project)) == ("open", ["bob", "alice"], [])
    assert (await published(engine))[-4:] == [
        "hdh.workspace.member.added.v1",
        "hdh.workspace.member.added.v1",
        "hdh.workspace.member.removed.v1",
        "hdh.workspace.member.added.v1",
    ]


async def test_closing_the_project_closes_the_space_and_unregisters_its_tables(
    engine: AsyncEngine,
) -> None:
    project, other = uuid.uuid4(), uuid.uuid4()
    await open_space(engine, project, ["alice"], "A", "B")
    await open_space(engine, other, ["alice"], "C")
    closing = {"project_id": str(project), "request_id": str(uuid.uuid4())}
    await deliver(engine, "hdh.access.project.closed.v1", closing)
    await deliver(engine, "hdh.access.project.closed.v1", closing)
    assert (await space(engine, project)).status == "closed"
    assert [t[0] for t in await rows(engine, "SELECT name FROM workspace.project_table")] == ["C"]
    closed = await rows(
        engine,
        "SELECT payload->'data' FROM workspace.outbox"
        " WHERE payload->>'type' = 'hdh.workspace.space.closed.v1'",
    )
    assert [c[0] for c in closed] == [{"project_id": str(project), "tables_removed": 2}]


async def test_a_malformed_event_is_refused_not_half_applied(engine: AsyncEngine) -> None:
    """The common consumer turns the validation error into a dead letter."""
    with pytest.raises(ValidationError):
        await deliver(engine, "hdh.access.grant.issued.v1", {"grant_id": "not-a-uuid"})
    assert await rows(engine, "SELECT project_id FROM workspace.space") == []

"""Seeing a project's extracts is decided on live state: this service's copy of the grant
(kept current by the access service's events) and, at each request, the access service
itself; when the latter cannot answer, the request is refused. Reading their rows is the
workspace service's alone: row-level data stays in the project space."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from hdh_common.db import create_sessionmaker
from hdh_common.events import CloudEvent
from hdh_common.storage import create_object_store
from hdh_dev.processes import free_port
from hdh_dev.testing import AccessRights, SettingsFactory, TokenFactory, bearer, running
from linkage.consumers import on_access_event
from linkage.extracts.models import LIVE, ExtractFile, Grant
from linkage.main import create_app
from linkage.state import LinkageState

PROJECT = uuid.uuid4()


async def an_extract(engine: AsyncEngine, settings: Any, *, members: list[str]) -> ExtractFile:
    grant = Grant(
        id=uuid.uuid4(),
        request_id=uuid.uuid4(),
        project_id=PROJECT,
        members=members,
        datasets=[],
        expires_at=datetime.now(UTC) + timedelta(days=30),
        status=LIVE,
    )
    key = f"{PROJECT}/grants/{grant.id}/x/PEOPLE.parquet"
    store = create_object_store(settings)

    async def chunks() -> AsyncIterator[bytes]:
        yield b"PAR1 not really"

    await store.ensure_bucket("projects")
    info = await store.put("projects", key, chunks())
    extract = ExtractFile(
        grant_id=grant.id,
        project_id=PROJECT,
        dataset_id=uuid.uuid4(),
        table_name="PEOPLE",
        version_id=uuid.uuid4(),
        object_key=key,
        columns=["NIR"],
        rows=1,
        size=info.size,
        key_version=1,
        sha256=info.sha256,
    )
    async with create_sessionmaker(engine).begin() as session:
        session.add_all([grant, extract])
    return extract


async def downloads(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        query = "SELECT count(*) FROM linkage.outbox WHERE payload->>'type' LIKE '%downloaded%'"
        return int(await connection.scalar(sa.text(query)) or 0)


async def member_event(engine: AsyncEngine, verb: str, subject: str) -> None:
    event = CloudEvent(
        source="/access",
        type=f"hdh.access.project.member_{verb}.v1",
        subject=str(PROJECT),
        data={"project_id": str(PROJECT), "subject": subject},
    )
    async with create_sessionmaker(engine).begin() as session:
        await on_access_event(cast(LinkageState, None), session, event)  # no state used


async def test_the_access_service_out_of_reach_refuses_the_listing(
    linkage_settings: SettingsFactory, make_token: TokenFactory, engine: AsyncEngine
) -> None:
    settings = linkage_settings(access_url=f"http://127.0.0.1:{free_port()}")
    await an_extract(engine, settings, members=["rita"])
    rita = bearer(make_token("linkage", "researcher", sub="rita"))
    async with running(create_app(settings)) as client:
        listed = await client.get(f"/linkage/extracts?project={PROJECT}", headers=rita)
    assert listed.status_code == 503, listed.text
    assert listed.headers["content-type"] == "application/problem+json"
    assert listed.json()["type"] == "/problems/service-unavailable"


async def test_only_the_workspace_service_reads_an_extract(
    linkage_settings: SettingsFactory,
    make_token: TokenFactory,
    engine: AsyncEngine,
    access_rights: AccessRights,
) -> None:
    settings = linkage_settings(access_url=access_rights.url)
    extract = await an_extract(engine, settings, members=["rita"])
    url = f"/linkage/extracts/{extract.id}/download"
    refused = [
        make_token("linkage", "researcher", sub="rita"),  # a member with a live grant
        make_token("linkage", "hub_staff", sub="sara"),
        make_token("linkage", "partner", sub="partner-system"),
        make_token("linkage", "researcher", sub="hdh-workspace"),  # the name, not the identity
        make_token("linkage", "system", sub="hdh-access"),  # another service
    ]
    workspace = bearer(make_token("linkage", "system", sub="hdh-workspace"))
    async with running(create_app(settings)) as client:
        answers = [await client.get(url, headers=bearer(token)) for token in refused]
        read = await client.get(url, headers=workspace)
        missing = await client.get(f"/linkage/extracts/{uuid.uuid4()}/download", headers=workspace)
    assert {(a.status_code, a.json()["type"]) for a in answers} == {
        (403, "/problems/row-level-data-stays-inside")
    }
    assert b"PAR1" not in b"".join(a.content for a in answers)
    assert (read.status_code, read.content) == (200, b"PAR1 not really")
    assert read.headers["x-checksum-sha256"] == extract.sha256
    assert missing.status_code == 404
    assert access_rights.asked == []  # refused before anything is looked up
    assert await downloads(engine) == 1


async def test_the_workspace_reads_nothing_once_the_grant_has_ended(
    linkage_settings: SettingsFactory, make_token: TokenFactory, engine: AsyncEngine
) -> None:
    settings = linkage_settings()
    extract = await an_extract(engine, settings, members=["rita"])
    async with engine.begin() as connection:
        past = "UPDATE linkage.grant SET expires_at = now() - interval '1 second'"
        await connection.execute(sa.text(past))
    workspace = bearer(make_token("linkage", "system", sub="hdh-workspace"))
    async with running(create_app(settings)) as client:
        answer = await client.get(f"/linkage/extracts/{extract.id}/download", headers=workspace)
    assert answer.status_code == 403, answer.text
    assert answer.json()["type"] == "/problems/forbidden"
    assert await downloads(engine) == 0


async def test_member_events_keep_the_grant_current_and_refusal_is_immediate(
    linkage_settings: SettingsFactory,
    make_token: TokenFactory,
    engine: AsyncEngine,
    access_rights: AccessRights,
) -> None:
    settings = linkage_settings(access_url=access_rights.url)
    await an_extract(engine, settings, members=["rita"])
    url = f"/linkage/extracts?project={PROJECT}"
    rita = bearer(make_token("linkage", "researcher", sub="rita"))
    bob = bearer(make_token("linkage", "researcher", sub="bob"))
    async with running(create_app(settings)) as client:
        assert (await client.get(url, headers=rita)).status_code == 200
        assert (await client.get(url, headers=bob)).status_code == 403

        await member_event(engine, "added", "bob")
        await member_event(engine, "added", "bob")  # applied twice: one member
        assert (await client.get(url, headers=bob)).status_code == 200

        access_rights.refused.add("bob")  # removed at the access service, no event yet
        assert (await client.get(url, headers=bob)).status_code == 403

        await member_event(engine, "removed", "bob")
        asked = len(access_rights.asked)
        access_rights.refused.clear()
        assert (await client.get(url, headers=bob)).status_code == 403
        assert len(access_rights.asked) == asked  # refused here, without asking
    async with engine.connect() as connection:
        members = await connection.scalar(sa.text("SELECT members FROM linkage.grant"))
    assert members == ["rita"]

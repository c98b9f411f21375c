"""Loading a project's own file refuses what is no longer allowed when it runs: the clear
file is deleted all the same, and the reason reaches the project's follow-up and the trail."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from hdh_common.events import CloudEvent
from hdh_common.storage import ObjectNotFound, create_object_store
from hdh_dev.testing import (
    AccessRights,
    SettingsFactory,
    TokenFactory,
    bearer,
    eventually,
    running,
)
from linkage.consumers import on_catalog_event
from linkage.events import MemberChanged
from linkage.extracts import service as extracts
from linkage.extracts.models import LIVE, Grant
from linkage.extracts.repository import GrantRepository
from linkage.main import create_app

from ..jobs.test_router import one_chunk
from ..support import NO_STATE, VALID_NIRS, in_transaction, parquet_bytes


async def failed_rows(url: str) -> list[Any]:
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        found = list(
            await connection.execute(
                sa.text("SELECT status, reason FROM linkage.project_data WHERE status <> 'queued'")
            )
        )
    await engine.dispose()
    return found


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("member_removed", "the uploader is not a member of the project under this grant"),
        ("grant_revoked", "the grant is not live"),
    ],
)
async def test_a_file_is_not_loaded_once_its_uploader_or_grant_lost_the_right(
    linkage_settings: SettingsFactory,
    s3_settings: dict[str, Any],
    access_rights: AccessRights,
    make_token: TokenFactory,
    clean_database: str,
    change: str,
    reason: str,
) -> None:
    settings = linkage_settings(**s3_settings, access_url=access_rights.url)
    store = create_object_store(settings)
    project_id, grant_id, upload_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    key = f"projects/{project_id}/{upload_id}.parquet"
    await store.ensure_bucket("landing")
    table = pa.table({"identifiant": VALID_NIRS, "poids": [60.0 + i for i in range(5)]})
    await store.put("landing", key, one_chunk(parquet_bytes(table)))

    async def setup(session: AsyncSession) -> None:
        grant = Grant(
            id=grant_id,
            request_id=uuid.uuid4(),
            project_id=project_id,
            members=["rita"],
            datasets=[],
            expires_at=datetime.now(UTC) + timedelta(days=30),
            status=LIVE if change == "member_removed" else "revoked",
        )
        await GrantRepository(session).upsert(grant)
        if change == "member_removed":
            removed = MemberChanged(project_id=project_id, subject="rita")
            await extracts.member_changed(session, removed, added=False)
        validated = {
            "upload_id": str(upload_id),
            "project_id": str(project_id),
            "grant_id": str(grant_id),
            "table": "cohort",
            "bucket": "landing",
            "object_key": key,
            "columns": [{"name": "identifiant", "identifier": "nir"}, {"name": "poids"}],
        }
        event = CloudEvent(
            source="/catalog",
            type="hdh.catalog.project_data.validated.v1",
            subject=str(project_id),
            data=validated,
            actor="rita",
        )
        await on_catalog_event(NO_STATE, session, event)

    await in_transaction(clean_database, setup)

    async def settled() -> bool:
        return bool(await failed_rows(clean_database))

    staff = bearer(make_token("linkage", "hub_staff", sub="steward"))
    rita = bearer(make_token("linkage", "researcher", sub="rita"))
    async with running(create_app(settings)) as client:
        await eventually(settled, within=60)
        listed = await client.get(f"/linkage/projects/{project_id}/data", headers=staff)
        refused = await client.get(f"/linkage/projects/{project_id}/data", headers=rita)
    assert await failed_rows(clean_database) == [("failed", reason)]
    [item] = listed.json()["items"]
    assert (item["status"], item["reason"], item["created_by"]) == ("failed", reason, "rita")
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    with pytest.raises(ObjectNotFound):
        await store.stat("landing", key)
    assert await store.list("projects", f"{project_id}/") == []

    async def outbox(session: AsyncSession) -> list[Any]:
        query = "SELECT payload FROM linkage.outbox"
        return list(await session.scalars(sa.text(query)))

    [event] = await in_transaction(clean_database, outbox)
    assert event["type"] == "hdh.linkage.project_data.failed.v1"
    assert (event["data"]["reason"], event["data"]["outcome"]) == (reason, "failure")

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from hdh_common.storage import ObjectStore, create_object_store
from hdh_dev.testing import SettingsFactory, TokenFactory, running
from linkage.main import create_app

from ..conftest import (
    CLEAR_VALUES,
    PEOPLE_COLUMNS,
    Captured,
    bearer,
    eventually,
    parquet_bytes,
    people_table,
)


async def one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def land(store: ObjectStore, table: pa.Table) -> str:
    key = f"uploads/{uuid.uuid4()}/data.parquet"
    await store.ensure_bucket("landing")
    await store.put("landing", key, one_chunk(parquet_bytes(table)))
    return key


async def read_object(store: ObjectStore, bucket: str, key: str) -> bytes:
    return b"".join([chunk async for chunk in store.get(bucket, key)])


@pytest.fixture
async def staff(make_token: TokenFactory) -> dict[str, str]:
    return bearer(make_token("linkage", "hub_staff", sub="steward"))


async def test_staff_pseudonymise_a_landed_version_into_central_on_s3(
    linkage_settings: SettingsFactory,
    s3_settings: dict[str, Any],
    make_token: TokenFactory,
    staff: dict[str, str],
    captured_logs: Captured,
    clean_database: str,
) -> None:
    settings = linkage_settings(**s3_settings)
    store = create_object_store(settings)
    body = {
        "dataset_id": str(uuid.uuid4()),
        "version_id": str(uuid.uuid4()),
        "table": "PEOPLE",
        "object_key": await land(store, people_table()),
        "columns": PEOPLE_COLUMNS,
    }
    seen: list[str] = []
    async with running(create_app(settings)) as client:
        researcher = bearer(make_token("linkage", "researcher", sub="rita"))
        assert (
            await client.post("/linkage/jobs", json=body, headers=researcher)
        ).status_code == 403
        assert (await client.post("/linkage/jobs", json=body)).status_code == 401
        created = await client.post("/linkage/jobs", json=body, headers=staff)
        assert created.status_code == 202, created.text
        job_id = created.json()["id"]

        async def done() -> bool:
            response = await client.get(f"/linkage/jobs/{job_id}", headers=staff)
            seen.append(response.text)
            return bool(response.json()["state"] == "succeeded")

        await eventually(done)
        job = (await client.get(f"/linkage/jobs/{job_id}", headers=staff)).json()
        report = await client.get(f"/linkage/jobs/{job_id}/report", headers=staff)
        listed = await client.get("/linkage/jobs", headers=staff)
        domains = await client.get("/linkage/domains", headers=staff)
        refused = await client.get(f"/linkage/jobs/{job_id}/report", headers=researcher)
        seen += [report.text, listed.text, domains.text]
    assert refused.status_code == 403
    assert job["progress"]["rows_done"] == job["progress"]["rows_total"] == 10
    assert job["progress"]["rows_per_second"] > 0
    result = report.json()
    assert result["columns"]["NIR"]["invalid"] == {
        "nir.key": 1,
        "nir.length": 1,
        "nir.characters": 1,
    }
    assert result["key_domain"] == "central" and result["key_version"] == 1
    central_key = f"datasets/{body['dataset_id']}/versions/{body['version_id']}/data.parquet"
    assert result["outputs"] == [f"central/{central_key}"]
    assert [d["domain"] for d in domains.json()] == ["central"]
    data = await read_object(store, "central", central_key)
    table = pq.read_table(pa.BufferReader(data))
    assert table.schema.metadata[b"hdh.key_version"] == b"1"
    engine = create_async_engine(clean_database)
    async with engine.connect() as connection:
        outbox = list(await connection.scalars(sa.text("SELECT payload FROM linkage.outbox")))
    await engine.dispose()
    assert [e["type"] for e in outbox] == ["hdh.linkage.version.pseudonymised.v1"]
    assert outbox[0]["data"]["invalid"]
    everything = " ".join([*seen, *captured_logs.lines, json.dumps(outbox), str(table.to_pylist())])
    assert captured_logs.lines
    for clear in CLEAR_VALUES:
        assert clear not in everything


async def test_missing_columns_fail_the_job_without_quoting_data(
    linkage_settings: SettingsFactory, staff: dict[str, str]
) -> None:
    settings = linkage_settings()
    store = create_object_store(settings)
    body = {
        "dataset_id": str(uuid.uuid4()),
        "version_id": str(uuid.uuid4()),
        "table": "PEOPLE",
        "object_key": await land(store, people_table()),
        "columns": [{"name": "NUMERO", "identifier": "nir"}],
    }
    async with running(create_app(settings)) as client:
        job_id = (await client.post("/linkage/jobs", json=body, headers=staff)).json()["id"]

        async def failed() -> bool:
            job = (await client.get(f"/linkage/jobs/{job_id}", headers=staff)).json()
            return bool(job["state"] == "failed")

        await eventually(failed)
        job = (await client.get(f"/linkage/jobs/{job_id}", headers=staff)).json()
        cancel = await client.post(f"/linkage/jobs/{job_id}/cancel", headers=staff)
        missing = await client.get(f"/linkage/jobs/{uuid.uuid4()}", headers=staff)
    assert job["error"] == "declared columns absent from the file: NUMERO"
    assert cancel.status_code == 409
    assert missing.status_code == 404


async def test_key_rotation_and_destruction_need_hub_staff(
    linkage_settings: SettingsFactory, make_token: TokenFactory, staff: dict[str, str]
) -> None:
    async with running(create_app(linkage_settings())) as client:
        researcher = bearer(make_token("linkage", "researcher"))
        denied = await client.post("/linkage/domains/central/rotate", headers=researcher)
        first = await client.post("/linkage/domains/central/rotate", headers=staff)
        second = await client.post("/linkage/domains/central/rotate", headers=staff)
        bad = await client.post("/linkage/domains/anything/rotate", headers=staff)
        listed = await client.get("/linkage/domains", headers=researcher)
    assert denied.status_code == 403 and listed.status_code == 403
    assert first.json()["active_version"] == 1 and second.json()["active_version"] == 2
    assert bad.status_code == 422

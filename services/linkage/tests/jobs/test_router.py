import json
import uuid
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from hdh_common.pagination import encode_cursor
from hdh_common.storage import ObjectStore, create_object_store
from hdh_dev.testing import SettingsFactory, TokenFactory, bearer, eventually, running, scraped
from linkage.jobs.models import PseudonymisedVersion
from linkage.jobs.repository import PseudonymisedVersionRepository
from linkage.main import create_app

from ..support import (
    CLEAR_VALUES,
    PEOPLE_COLUMNS,
    Captured,
    catalogue_validated,
    in_transaction,
    land,
    one_chunk,
    people_table,
    record_validated,
    validated_people,
)


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
    validated = validated_people(await land(store, people_table()))
    await record_validated(clean_database, validated)
    body = {"version_id": validated["version_id"]}
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
    assert (result["engine"], result["executors"]) == ("embedded", 1)
    central_key = central_key_of(validated)
    assert result["outputs"] == [f"central/{central_key}"]
    assert [d["domain"] for d in domains.json()["items"]] == ["central"]
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
    linkage_settings: SettingsFactory, staff: dict[str, str], clean_database: str
) -> None:
    settings = linkage_settings()
    store = create_object_store(settings)
    validated = validated_people(await land(store, people_table()))
    validated["columns"] = [{"name": "NUMERO", "identifier": "nir"}]
    await record_validated(clean_database, validated)
    body = {"version_id": validated["version_id"]}
    durations = {"kind": "pseudonymise", "outcome": "failed"}
    async with running(create_app(settings)) as client:
        assert await scraped(client, "hdh_job_duration_seconds_count", **durations) is None
        job_id = (await client.post("/linkage/jobs", json=body, headers=staff)).json()["id"]

        async def failed() -> bool:
            job = (await client.get(f"/linkage/jobs/{job_id}", headers=staff)).json()
            return bool(job["state"] == "failed")

        async def measured() -> bool:
            return await scraped(client, "hdh_job_duration_seconds_count", **durations) == 1

        await eventually(failed)
        await eventually(measured)
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


async def job_states(url: str) -> list[str]:
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        states = list(await connection.scalars(sa.text("SELECT state FROM linkage.job")))
    await engine.dispose()
    return states


def central_key_of(validated: dict[str, Any]) -> str:
    return f"datasets/{validated['dataset_id']}/versions/{validated['version_id']}/data.parquet"


async def test_a_hand_made_job_cannot_overwrite_a_central_version_with_clear_data(
    linkage_settings: SettingsFactory, staff: dict[str, str], clean_database: str
) -> None:
    settings = linkage_settings()
    store = create_object_store(settings)
    validated = validated_people(await land(store, people_table()))
    await catalogue_validated(clean_database, validated)

    async def settled() -> bool:
        states = await job_states(clean_database)
        return bool(states) and not {"queued", "running"} & set(states)

    async with running(create_app(settings)) as client:
        await eventually(settled)
        before = await read_object(store, "central", central_key_of(validated))
        clear = [{"name": c["name"], "identifier": "none"} for c in PEOPLE_COLUMNS]
        forged = await client.post(
            "/linkage/jobs", json={**validated, "columns": clear}, headers=staff
        )
        again = await client.post(
            "/linkage/jobs", json={"version_id": validated["version_id"]}, headers=staff
        )
        unknown = await client.post(
            "/linkage/jobs", json={"version_id": str(uuid.uuid4())}, headers=staff
        )
        await eventually(settled)
    assert forged.status_code == 422, forged.text
    assert again.status_code == 409, again.text
    assert again.json()["type"] == "/problems/central-version-exists"
    assert unknown.status_code == 404, unknown.text
    assert await job_states(clean_database) == ["succeeded"]
    after = await read_object(store, "central", central_key_of(validated))
    assert after == before
    assert not set(CLEAR_VALUES) & {
        str(v) for v in pq.read_table(pa.BufferReader(after)).to_pydict()["NIR"]
    }


async def test_a_central_object_is_never_overwritten(
    linkage_settings: SettingsFactory, staff: dict[str, str], clean_database: str
) -> None:
    settings = linkage_settings()
    store = create_object_store(settings)
    validated = validated_people(await land(store, people_table()))
    await store.ensure_bucket("central")
    await store.put("central", central_key_of(validated), one_chunk(b"written before"))
    await catalogue_validated(clean_database, validated)

    async def failed() -> bool:
        return await job_states(clean_database) == ["failed"]

    async with running(create_app(settings)) as client:
        await eventually(failed)
        [job] = (await client.get("/linkage/jobs", headers=staff)).json()["items"]
        retry = await client.post(
            "/linkage/jobs", json={"version_id": validated["version_id"]}, headers=staff
        )
    assert "already exists" in job["error"]
    assert retry.status_code == 409, retry.text
    assert await read_object(store, "central", central_key_of(validated)) == b"written before"


async def test_bad_input_is_a_problem_not_a_server_error(
    linkage_settings: SettingsFactory, staff: dict[str, str], clean_database: str
) -> None:
    versions = [uuid.uuid4(), uuid.uuid4()]

    async def in_central(session: Any) -> None:
        for version_id in versions:
            await PseudonymisedVersionRepository(session).add(
                PseudonymisedVersion(
                    version_id=version_id,
                    dataset_id=uuid.uuid4(),
                    table_name="PEOPLE",
                    job_id=uuid.uuid4(),
                    object_key=f"datasets/x/versions/{version_id}/data.parquet",
                    columns=PEOPLE_COLUMNS,
                    key_version=1,
                    rows=0,
                    sha256="",
                )
            )

    await in_transaction(clean_database, in_central)
    link = {
        "kind": "link",
        "left_version_id": str(versions[0]),
        "right_version_id": str(versions[1]),
        "pseudonym_columns": ["NIR\x00"],
    }
    cursors = [
        encode_cursor([instant, str(uuid.uuid4())])
        for instant in ("0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-10:00")
    ]
    async with running(create_app(linkage_settings())) as client:
        pages = [
            await client.get("/linkage/jobs", params={"cursor": c}, headers=staff) for c in cursors
        ]
        nul = await client.post("/linkage/jobs", json=link, headers=staff)
        nul_group = await client.post(
            "/linkage/jobs",
            json=link | {"pseudonym_columns": ["NIR"], "group_columns": ["\x00"]},
            headers=staff,
        )
        unknown_key = await client.post(
            "/linkage/jobs",
            json=link
            | {
                "pseudonym_columns": ["NIR"],
                "probabilistic": {
                    "comparisons": [{"column": "NOM", "kind": "name"}],
                    "blocking_rules": [["NOM:soundex|NOM_USAGE:phonetic"]],
                },
            },
            headers=staff,
        )
    assert [p.status_code for p in pages] == [400, 400], pages[0].text
    assert pages[0].json()["type"] == "/problems/invalid-cursor"
    assert (nul.status_code, nul_group.status_code) == (422, 422), nul.text
    assert unknown_key.status_code == 422, unknown_key.text
    assert nul.headers["content-type"] == "application/problem+json"

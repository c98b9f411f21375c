import uuid
from typing import Any

import httpx
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from hdh_common.storage import ObjectStore, create_object_store
from hdh_dev.testing import SettingsFactory, TokenFactory, bearer, eventually, running
from linkage.main import create_app

from ..support import people_table, record_validated
from .test_router import land, validated_people


async def finished(client: httpx.AsyncClient, job_id: str, staff: dict[str, str]) -> dict[str, Any]:
    async def done() -> bool:
        job = (await client.get(f"/linkage/jobs/{job_id}", headers=staff)).json()
        return bool(job["state"] in ("succeeded", "failed"))

    await eventually(done)
    return dict((await client.get(f"/linkage/jobs/{job_id}", headers=staff)).json())


async def pseudonymised_version(
    client: httpx.AsyncClient, store: ObjectStore, table: pa.Table, staff: dict[str, str], url: str
) -> str:
    validated = validated_people(await land(store, table))
    await record_validated(url, validated)
    body = {"kind": "pseudonymise", "version_id": validated["version_id"]}
    job = (await client.post("/linkage/jobs", json=body, headers=staff)).json()
    assert (await finished(client, job["id"], staff))["state"] == "succeeded"
    return str(validated["version_id"])


async def test_linkage_job_links_on_pseudonyms_then_probabilistically_with_a_report(
    linkage_settings: SettingsFactory, make_token: TokenFactory, clean_database: str
) -> None:
    settings = linkage_settings()
    store = create_object_store(settings)
    staff = bearer(make_token("linkage", "hub_staff"))
    async with running(create_app(settings)) as client:
        left = await pseudonymised_version(client, store, people_table(), staff, clean_database)
        right = await pseudonymised_version(
            client, store, people_table().slice(0, 5), staff, clean_database
        )
        body = {
            "kind": "link",
            "left_version_id": left,
            "right_version_id": right,
            "pseudonym_columns": ["NIR"],
            "probabilistic": {
                "comparisons": [
                    {"column": "NOM"},
                    {"column": "DATE_NAISSANCE", "kind": "date", "thresholds": [1]},
                    {"column": "SEXE"},
                ],
                "blocking_rules": [["DATE_NAISSANCE"]],
            },
            "group_columns": ["ACTE"],
        }
        researcher = bearer(make_token("linkage", "researcher"))
        denied = await client.post("/linkage/jobs", json=body, headers=researcher)
        unknown = await client.post(
            "/linkage/jobs", json=body | {"left_version_id": str(uuid.uuid4())}, headers=staff
        )
        created = await client.post("/linkage/jobs", json=body, headers=staff)
        assert created.status_code == 202, created.text
        job = await finished(client, created.json()["id"], staff)
        report = (await client.get(f"/linkage/jobs/{job['id']}/report", headers=staff)).json()
    assert (denied.status_code, unknown.status_code) == (403, 404)
    assert job["state"] == "succeeded", job["error"]
    links = report["links"]
    assert links["by_pass"]["deterministic"] == 6  # one person appears twice on the left
    assert set(links["match_rate_by_group"]) == {"sex", "age_band", "ACTE"}
    assert links["probabilistic"]["candidate_pairs"] >= 0
    assert report["outputs"] == [f"central/links/{job['id']}/links.parquet"]
    engine = create_async_engine(clean_database)
    async with engine.connect() as connection:
        [completed] = await connection.scalars(
            sa.text(
                "SELECT payload->'data' FROM linkage.outbox"
                " WHERE payload->>'type' = 'hdh.linkage.linkage.completed.v1'"
            )
        )
    await engine.dispose()
    assert completed == {
        "job_id": job["id"],
        "links": report["rows_out"],
        "object_key": f"links/{job['id']}/links.parquet",
    }

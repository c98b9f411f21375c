"""A job on the Spark engine, through the job API like any other: followed, reported,
cancelled (its Spark job group with it)."""

from typing import Any

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hdh_common.storage import ObjectStore, create_object_store
from hdh_dev.testing import SettingsFactory, TokenFactory, bearer, eventually, running
from linkage.main import create_app
from linkage.matching.french_population import population

from ..extracts.test_period import extract_limited_to_2024
from ..jobs.test_linking import FRENCH_SPEC, finished, french_version
from ..jobs.test_router import read_object
from ..support import land, people_table, record_validated, validated_people
from .conftest import MASTER, SparkRun

pytestmark = pytest.mark.spark
CANCELLED_ROWS = 3_000_000


@pytest.fixture
def spark_settings(linkage_settings: SettingsFactory, spark_run: SparkRun) -> Any:
    return linkage_settings(engine="spark", spark_master=MASTER)


@pytest.fixture
def staff(make_token: TokenFactory) -> dict[str, str]:
    return bearer(make_token("linkage", "hub_staff", sub="steward"))


async def test_a_spark_job_is_followed_and_reports_its_engine(
    spark_settings: Any, staff: dict[str, str], make_token: TokenFactory, clean_database: str
) -> None:
    store = create_object_store(spark_settings)
    validated = validated_people(await land(store, pa.concat_tables([people_table()] * 50)))
    await record_validated(clean_database, validated)
    seen: list[dict[str, Any]] = []
    async with running(create_app(spark_settings)) as client:
        body = {"version_id": validated["version_id"]}
        job_id = (await client.post("/linkage/jobs", json=body, headers=staff)).json()["id"]

        async def done() -> bool:
            seen.append((await client.get(f"/linkage/jobs/{job_id}", headers=staff)).json())
            return bool(seen[-1]["state"] == "succeeded")

        await eventually(done, within=120)
        report = await client.get(f"/linkage/jobs/{job_id}/report", headers=staff)
        researcher = bearer(make_token("linkage", "researcher", sub="rita"))
        refused = await client.get(f"/linkage/jobs/{job_id}/report", headers=researcher)
    assert refused.status_code == 403
    assert {"running", "succeeded"} <= {s["state"] for s in seen}
    assert seen[-1]["progress"]["rows_done"] == seen[-1]["progress"]["rows_total"] == 500
    result = report.json()
    assert (result["engine"], result["executors"]) == ("spark", 1)
    assert result["rows_in"] == result["rows_out"] == 500
    assert result["columns"]["NIR"]["missing"] == 50


async def test_a_spark_job_is_cancelled_with_its_job_group(
    spark_run: SparkRun, spark_settings: Any, staff: dict[str, str], clean_database: str
) -> None:
    store = create_object_store(spark_settings)
    nirs = people_table().select(["NIR", "ACTE"])
    big = pa.concat_tables([nirs] * (CANCELLED_ROWS // nirs.num_rows))
    validated = validated_people(await land(store, big))
    validated["columns"] = [
        {"name": "NIR", "identifier": "nir"},
        {"name": "ACTE", "identifier": "none"},
    ]
    await record_validated(clean_database, validated)
    tracker = spark_run.engine.session.sparkContext.statusTracker()
    async with running(create_app(spark_settings)) as client:
        body = {"version_id": validated["version_id"]}
        job_id = (await client.post("/linkage/jobs", json=body, headers=staff)).json()["id"]

        async def spark_running() -> bool:
            return bool(tracker.getJobIdsForGroup(job_id))

        await eventually(spark_running, within=60)
        cancelled = await client.post(f"/linkage/jobs/{job_id}/cancel", headers=staff)

        async def group_stopped() -> bool:
            jobs = [tracker.getJobInfo(j) for j in tracker.getJobIdsForGroup(job_id)]
            return all(j is not None and j.status != "RUNNING" for j in jobs)

        await eventually(group_stopped, within=60)
        job = (await client.get(f"/linkage/jobs/{job_id}", headers=staff)).json()
        report = await client.get(f"/linkage/jobs/{job_id}/report", headers=staff)
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    statuses = {tracker.getJobInfo(j).status for j in tracker.getJobIdsForGroup(job_id)}
    assert statuses == {"FAILED"}  # Spark's state of a cancelled job
    assert job["state"] == "cancelled" and job["progress"]["rows_total"] == big.num_rows
    assert job["progress"]["rows_done"] < big.num_rows
    assert report.status_code == 409


async def test_the_grants_extract_runs_on_spark_with_the_same_rows(
    spark_settings: Any, clean_database: str
) -> None:
    reports = await extract_limited_to_2024(spark_settings, clean_database)
    assert len(reports) == 3  # two pseudonymisations, one extract
    assert {(r["engine"], r["executors"]) for r in reports} == {("spark", 1)}


async def link_job(
    client: httpx.AsyncClient, store: ObjectStore, body: dict[str, Any], staff: dict[str, str]
) -> tuple[dict[str, Any], list[pa.Table]]:
    """The report of a link job run through the job API, and its outputs (links, review)."""
    created = await client.post("/linkage/jobs", json=body, headers=staff)
    job = await finished(client, created.json()["id"], staff)
    assert job["state"] == "succeeded", job["error"]
    report = (await client.get(f"/linkage/jobs/{job['id']}/report", headers=staff)).json()
    outputs = []
    for output in report["outputs"]:
        bucket, _, key = output.partition("/")
        outputs.append(pq.read_table(pa.BufferReader(await read_object(store, bucket, key))))
    return report, outputs


async def test_a_linkage_job_on_spark_gives_the_embedded_engines_links(
    spark_settings: Any,
    linkage_settings: SettingsFactory,
    staff: dict[str, str],
    clean_database: str,
) -> None:
    generated = population(600, seed=7)
    store = create_object_store(spark_settings)
    async with running(create_app(spark_settings)) as client:
        left = await french_version(client, store, generated.left, staff, clean_database)
        right = await french_version(client, store, generated.right, staff, clean_database)
        body = {
            "kind": "link",
            "left_version_id": left,
            "right_version_id": right,
            "probabilistic": FRENCH_SPEC,
        }
        on_spark, spark_outputs = await link_job(client, store, body, staff)
    async with running(create_app(linkage_settings())) as client:
        embedded, embedded_outputs = await link_job(client, store, body, staff)
    assert (on_spark["engine"], on_spark["executors"]) == ("spark", 1)
    assert (embedded["engine"], embedded["executors"]) == ("embedded", 1)
    assert embedded_outputs[0].num_rows > 500  # most of the 600 people are linked
    assert spark_outputs == embedded_outputs  # links and review: same pairs, same weights
    assert on_spark["links"] == embedded["links"]  # counts, rates, the model's report

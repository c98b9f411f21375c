import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from hdh_common.storage import ObjectStore, create_object_store
from hdh_dev.testing import SettingsFactory, TokenFactory, bearer, eventually, running
from linkage.jobs.linking import link_files
from linkage.jobs.schemas import LinkJobCreate
from linkage.main import create_app
from linkage.matching.french_population import population

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
    assert report["outputs"] == [
        f"central/links/{job['id']}/links.parquet",
        f"central/links/{job['id']}/review.parquet",
    ]
    assert links["probabilistic"]["threshold"]["chosen_by"] == "job"
    assert {"match_weights", "training", "expected_curve", "review"} <= set(links["probabilistic"])
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


FRENCH_SPEC = {
    "comparisons": [
        {"column": "given_name", "kind": "name", "thresholds": [0.92, 0.8], "term_frequency": True},
        {
            "column": "surname",
            "kind": "name",
            "thresholds": [0.92, 0.8],
            "term_frequency": True,
            "alternatives": ["usage_name"],
        },
        {"column": "birth_date", "kind": "birth_date", "thresholds": [31, 366]},
        {"column": "sex"},
        {"column": "birth_place", "kind": "prefix", "thresholds": [2]},
        {"column": "postcode", "kind": "prefix", "thresholds": [2]},
    ],
    "blocking_rules": [
        ["surname:phonetic|usage_name:phonetic", "birth_date"],
        ["given_name:first", "birth_date"],
        ["given_name:first", "surname:phonetic|usage_name:phonetic", "birth_date:year"],
        ["given_name:first", "surname:phonetic|usage_name:phonetic", "birth_place"],
        ["birth_date", "birth_place"],
    ],
    "prior_rules": [["given_name:norm", "surname:norm", "birth_date"]],
    "prior_recall": 0.6,
    "threshold_probability": None,
}
PRECISION_TOLERANCE, RECALL_TOLERANCE = 0.01, 0.02


def test_the_report_expects_the_precision_and_recall_the_truth_shows(tmp_path: Path) -> None:
    """On a French-style population (20,000 persons, 90% in both sources), the threshold the
    model chooses comes with expected precision within 0.01 and recall within 0.02 of the
    truth's; the fitted parameters and the review band are in the report."""
    generated = population(20_000, seed=5)
    pq.write_table(generated.left, tmp_path / "left.parquet")
    pq.write_table(generated.right, tmp_path / "right.parquet")
    spec = LinkJobCreate.model_validate(
        {
            "kind": "link",
            "left_version_id": uuid.uuid4(),
            "right_version_id": uuid.uuid4(),
            "probabilistic": FRENCH_SPEC,
        }
    )
    summary = link_files(
        tmp_path / "left.parquet",
        tmp_path / "right.parquet",
        tmp_path / "links.parquet",
        spec,
        {},
    )
    links = pq.read_table(tmp_path / "links.parquet")
    found = set(zip(links["left_row"].to_pylist(), links["right_row"].to_pylist(), strict=True))
    truth = generated.true_pairs()
    precision, recall = len(found & truth) / len(found), len(found & truth) / len(truth)
    model = summary["probabilistic"]
    threshold = model["threshold"]
    assert threshold["chosen_by"] == "model" and 0 < threshold["probability"] < 1
    assert abs(threshold["expected_precision"] - precision) <= PRECISION_TOLERANCE, precision
    assert abs(threshold["expected_recall"] - recall) <= RECALL_TOLERANCE, recall
    assert precision > 0.99 and recall > 0.95
    assert model["match_weights"]["birth_date:birth_date"][-1] > 8  # exact dates: strong
    assert model["m"]["sex:exact"][-1] > 0.95 > 0.6 > model["u"]["sex:exact"][-1]
    assert len(model["training"]["passes"]) == 5 and model["training"]["untrained"] == []
    review = pq.read_table(tmp_path / "review.parquet")
    assert review.num_rows == model["review"]["pairs"] > 0
    json.dumps(summary, allow_nan=False)  # the job stores it as JSON

import json
import os
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
from linkage.events import PSEUDONYMISED_KINDS, ColumnSpec
from linkage.jobs.linking import link_files
from linkage.jobs.pipeline import NAME_KEY_TAGS, TAGS, CentralKey, pseudonymise_file
from linkage.jobs.schemas import LinkJobCreate
from linkage.main import create_app
from linkage.matching import french
from linkage.matching.french_population import population
from linkage.matching.linker import link
from linkage.pseudonyms.hmac import KeyedHasher

from ..support import people_table, record_validated
from .test_router import land, read_object, validated_people


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
        link=link,
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


FRENCH_COLUMNS = [
    *({"name": n, "identifier": "name"} for n in ("given_name", "surname", "usage_name")),
    {"name": "birth_date", "identifier": "birth_date"},
    {"name": "sex", "identifier": "sex"},
    {"name": "birth_place", "identifier": "none"},
    {"name": "postcode", "identifier": "none"},
]
F1_TOLERANCE = 0.01


def f1(links: pa.Table, truth: set[tuple[int, int]]) -> float:
    found = set(zip(links["left_row"].to_pylist(), links["right_row"].to_pylist(), strict=True))
    right = len(found & truth)
    return 2 * right / (len(found) + len(truth))


async def french_version(
    client: httpx.AsyncClient, store: ObjectStore, table: pa.Table, staff: dict[str, str], url: str
) -> str:
    validated = validated_people(await land(store, table)) | {"columns": FRENCH_COLUMNS}
    await record_validated(url, validated)
    body = {"kind": "pseudonymise", "version_id": validated["version_id"]}
    job = (await client.post("/linkage/jobs", json=body, headers=staff)).json()
    assert (await finished(client, job["id"], staff))["state"] == "succeeded"
    return str(validated["version_id"])


def clear_names(table: pa.Table) -> set[str]:
    values = pa.chunked_array(
        [c for n in ("given_name", "surname", "usage_name") for c in table.column(n).chunks]
    )
    found = {v.upper() for v in values.to_pylist() if v}
    return found | {v for k in french.DERIVED for v in french.derive(values, k).to_pylist() if v}


async def test_a_job_on_pseudonymised_french_sources_links_as_well_as_on_clear_names(
    linkage_settings: SettingsFactory,
    make_token: TokenFactory,
    clean_database: str,
    tmp_path: Path,
) -> None:
    """Names arrive as keyed pseudonyms with keyed derived keys (normalised, phonetic, first
    part): the job's F1 stays within 0.01 of the clear-value run's, and no clear name (nor
    any of its derived keys) is in the central files, the outputs or the report."""
    generated = population(2000, seed=5)
    pq.write_table(generated.left, tmp_path / "left.parquet")
    pq.write_table(generated.right, tmp_path / "right.parquet")
    body = {
        "kind": "link",
        "left_version_id": uuid.uuid4(),
        "right_version_id": uuid.uuid4(),
        "probabilistic": FRENCH_SPEC,
    }
    spec = LinkJobCreate.model_validate(body)
    link_files(
        tmp_path / "left.parquet",
        tmp_path / "right.parquet",
        tmp_path / "l.parquet",
        spec,
        {},
        link=link,
    )
    clear_f1 = f1(pq.read_table(tmp_path / "l.parquet"), generated.true_pairs())
    settings = linkage_settings()
    store = create_object_store(settings)
    staff = bearer(make_token("linkage", "hub_staff"))
    async with running(create_app(settings)) as client:
        left = await french_version(client, store, generated.left, staff, clean_database)
        right = await french_version(client, store, generated.right, staff, clean_database)
        body |= {"left_version_id": left, "right_version_id": right}
        created = await client.post("/linkage/jobs", json=body, headers=staff)
        job = await finished(client, created.json()["id"], staff)
        response = await client.get(f"/linkage/jobs/{job['id']}/report", headers=staff)
    assert job["state"] == "succeeded", job["error"]
    report = response.json()
    files = {}
    for output in [*report["outputs"], *(f"central/{k}" for k in await central_keys(store))]:
        bucket, _, key = output.partition("/")
        files[output] = pq.read_table(pa.BufferReader(await read_object(store, bucket, key)))
    links = files[report["outputs"][0]]
    assert abs(f1(links, generated.true_pairs()) - clear_f1) <= F1_TOLERANCE, clear_f1
    assert clear_f1 > 0.97
    assert report["links"]["name_keys"] == dict.fromkeys(
        ["given_name", "surname", "usage_name"], "keyed"
    )
    assert len(report["links"]["probabilistic"]["m"]["surname:name"]) == 4  # no floors
    clear = clear_names(pa.concat_tables([generated.left, generated.right]))
    written = {
        str(v).upper()
        for table in files.values()
        for column in table.columns
        if pa.types.is_string(column.type)
        for v in column.to_pylist()
    }
    assert len(files) == 4 and not clear & written
    assert not any(f'"{v}"' in json.dumps(report).upper() for v in clear)


async def central_keys(store: ObjectStore) -> list[str]:
    return [o.key for o in await store.list("central", "datasets/")]


def test_versions_written_without_derived_keys_still_link_on_their_pseudonyms(
    tmp_path: Path,
) -> None:
    """A central version from before derived keys: names agree or not, on the pseudonym."""
    generated = population(1000, seed=3)
    key = central_key(name_keys=False)
    columns = [ColumnSpec.model_validate(c) for c in FRENCH_COLUMNS]
    for side, table in (("left", generated.left), ("right", generated.right)):
        pq.write_table(table, tmp_path / f"{side}-clear.parquet")
        pseudonymise_file(
            tmp_path / f"{side}-clear.parquet",
            tmp_path / f"{side}.parquet",
            columns=columns,
            key=key,
            batch_rows=10_000,
            progress=lambda _: None,
        )
    spec = LinkJobCreate.model_validate(
        {
            "kind": "link",
            "left_version_id": uuid.uuid4(),
            "right_version_id": uuid.uuid4(),
            "probabilistic": FRENCH_SPEC,
        }
    )
    target = tmp_path / "links.parquet"
    summary = link_files(
        tmp_path / "left.parquet", tmp_path / "right.parquet", target, spec, {}, link=link
    )
    assert set(summary["name_keys"].values()) == {"pseudonym only"}
    assert len(summary["probabilistic"]["m"]["given_name:name"]) == 4
    assert 0.8 < f1(pq.read_table(target), generated.true_pairs()) < 0.95


def central_key(*, name_keys: bool) -> CentralKey:
    secret = os.urandom(32)
    return CentralKey(
        domain="central",
        version=1,
        hashers={kind: KeyedHasher(secret, tag=TAGS[kind]) for kind in PSEUDONYMISED_KINDS},
        name_keys={k: KeyedHasher(secret, tag=t) for k, t in NAME_KEY_TAGS.items()}
        if name_keys
        else {},
    )

"""Acceptance 5: producer uploads to S3, validated in record batches, immutable versions."""

import asyncio
import io
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from hdh_dev.testing import TokenFactory, bearer

from .hub import Hub, csv_bytes, good_rows, sha256


async def outbox_events(database_url: str, type_: str) -> list[dict[str, Any]]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                sa.text("SELECT payload->'data' FROM catalog.outbox WHERE payload->>'type' = :t"),
                {"t": type_},
            )
            return [row[0] for row in rows]
    finally:
        await engine.dispose()


async def outbox_types(database_url: str) -> list[str]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                sa.text("SELECT payload->>'type' FROM catalog.outbox ORDER BY id")
            )
            return [row[0] for row in rows]
    finally:
        await engine.dispose()


async def test_a_valid_csv_becomes_a_validated_parquet_version(
    hub: Hub, clean_database: str
) -> None:
    data = csv_bytes(good_rows(120))
    response = await hub.send(data, part_size=700)
    assert response.status_code == 202, response.text
    version = response.json()
    assert (version["status"], version["row_count"], version["number"]) == ("validated", 120, 1)
    assert version["source_sha256"] == sha256(data)
    (key,) = hub.objects(hub.landing)  # the parts are gone, the version waits for linkage
    assert key == f"validated/{hub.dataset_id}/PATIENT/v00001.parquet"
    table = pq.read_table(io.BytesIO(hub.minio.get_object(hub.landing, key).read()))
    assert table.num_rows == 120
    assert table.schema.field("SEX_COD").type == pa.int64()
    assert table.schema.field("NAI_DTE").type == pa.date32()
    assert (
        pq.read_metadata(io.BytesIO(hub.minio.get_object(hub.landing, key).read()))
        .row_group(0)
        .column(0)
        .compression
        == "ZSTD"
    )
    (event,) = await outbox_events(clean_database, "hdh.catalog.version.validated.v1")
    assert (event["object_key"], event["bucket"]) == (key, hub.landing)
    assert event["columns"] == [
        {"name": "PAT_ID", "identifier": "none"},
        {"name": "SEX_COD", "identifier": "sex"},
        {"name": "NAI_DTE", "identifier": "birth_date"},
        {"name": "POIDS", "identifier": "none"},
    ]
    assert event["outcome"] is None


async def test_statistics_follow_the_small_cell_rule(hub: Hub) -> None:
    rows = [[f"P{i:05d}", 1 + i % 2, "1970-01-01", 50.0 + i] for i in range(40)]
    rows.append(["X00001", 9, "1960-01-01", 130.0])
    version = (await hub.send(csv_bytes(rows))).json()
    response = await hub.client.get(
        hub.url(f"/versions/{version['id']}/statistics"), headers=hub.producer
    )
    assert response.status_code == 200
    statistics = response.json()
    sex = statistics["SEX_COD"]
    # the 1 of code 9 is hidden, and so is one more cell, or the total would give it away
    assert sex["categories"]["9"] is None and sex["masked"]
    assert sorted(sex["categories"].values(), key=str) == [20, None, None]
    poids = statistics["POIDS"]
    assert poids["count"] == 41
    # no one's extreme: bounds at least ten persons reach, coarsened
    assert 50.0 < poids["min"] <= 60.0 and 80.0 <= poids["max"] < 130.0


async def test_statistics_are_for_hub_staff_and_the_producer_only(
    hub: Hub, make_token: TokenFactory
) -> None:
    version = (await hub.send(csv_bytes(good_rows(20)))).json()
    url = hub.url(f"/versions/{version['id']}/statistics")
    for headers in (
        bearer(make_token("catalog", "researcher", sub="researcher-1", org="inserm")),
        bearer(make_token("catalog", "researcher", sub="researcher-1", org="aphp")),
        bearer(make_token("catalog", "producer", sub="producer-1", org="cnam")),
    ):
        response = await hub.client.get(url, headers=headers)
        assert response.status_code == 403, response.text
        assert response.json()["type"] == "/problems/forbidden"
    assert (await hub.client.get(url, headers=hub.staff)).status_code == 200


async def test_another_organisation_or_a_researcher_cannot_upload(
    hub: Hub, make_token: TokenFactory
) -> None:
    body = {"table": "PATIENT", "size": 10, "sha256": "0" * 64}
    for headers in (
        bearer(make_token("catalog", "producer", sub="producer-1", org="cnam")),
        bearer(make_token("catalog", "researcher", sub="researcher-1", org="aphp")),
    ):
        response = await hub.client.post(hub.url("/uploads"), json=body, headers=headers)
        assert response.status_code == 403
        assert response.json()["type"] == "/problems/forbidden"
    upload = await hub.start(b"x")
    other = bearer(make_token("catalog", "producer", sub="producer-1", org="cnam")) | {
        "X-Part-SHA256": sha256(b"x")
    }
    refused = await hub.client.put(
        hub.url(f"/uploads/{upload['id']}/parts/1"), content=b"x", headers=other
    )
    assert refused.status_code == 403
    assert hub.objects(hub.landing) == []


async def test_a_part_with_a_wrong_checksum_is_refused_and_can_be_resent(hub: Hub) -> None:
    data = csv_bytes(good_rows(30))
    upload = await hub.start(data)
    first, second = data[:500], data[500:]
    assert (await hub.put(upload["id"], 1, first)).status_code == 200
    refused = await hub.put(upload["id"], 2, second, digest=sha256(b"something else"))
    assert refused.status_code == 400
    assert refused.json()["type"] == "/problems/checksum-mismatch"
    parts = (
        await hub.client.get(hub.url(f"/uploads/{upload['id']}/parts"), headers=hub.producer)
    ).json()
    assert [p["number"] for p in parts["items"]] == [1]
    assert len(hub.objects(hub.landing)) == 1
    assert (await hub.put(upload["id"], 2, second)).status_code == 200
    url = hub.url(f"/uploads/{upload['id']}/parts")
    one = (await hub.client.get(url, params={"limit": 1}, headers=hub.producer)).json()
    two = await hub.client.get(
        url, params={"limit": 1, "cursor": one["next_cursor"]}, headers=hub.producer
    )
    assert [p["number"] for p in one["items"] + two.json()["items"]] == [1, 2]
    done = await hub.client.post(hub.url(f"/uploads/{upload['id']}/complete"), headers=hub.producer)
    assert done.status_code == 202 and done.json()["status"] == "validated"


async def test_a_bad_file_is_rejected_with_a_report_naming_each_error(
    hub: Hub, clean_database: str
) -> None:
    rows: list[list[Any]] = good_rows(20)
    rows[3][2] = "pas une date"
    rows[5][1] = 7
    rows[8][0] = rows[2][0]
    data = csv_bytes(rows) + b"P99999,1\n"
    response = await hub.send(data)
    assert response.status_code == 202
    version = response.json()
    assert version["status"] == "rejected"
    report = (
        await hub.client.get(hub.url(f"/versions/{version['id']}/report"), headers=hub.producer)
    ).json()
    found = {(e["type"], e["column"], str(e["value"])) for e in report["errors"]}
    # birth date and sex are identifiers: their values stay out of the report
    assert ("type-error", "NAI_DTE", "None") in found
    assert ("foreign-key", "SEX_COD", "None") in found
    assert ("primary-key", "PAT_ID", rows[2][0]) in found
    # rows as Frictionless counts them: the header is row 1
    rows_of = {e["type"]: e["row"] for e in report["errors"]}
    assert (rows_of["type-error"], rows_of["foreign-key"], rows_of["primary-key"]) == (5, 7, 10)
    assert {
        (rows_of["missing-cell"], e["column"])
        for e in report["errors"]
        if e["type"] == "missing-cell"
    } == {(22, "NAI_DTE"), (22, "POIDS")}
    assert hub.objects(hub.landing) == []
    (event,) = await outbox_events(clean_database, "hdh.catalog.version.rejected.v1")
    assert event["outcome"] == "failure" and event["error_count"] > 0


async def test_a_whole_file_checksum_mismatch_is_rejected(hub: Hub) -> None:
    data = csv_bytes(good_rows(10))
    response = await hub.send(data, sha256="a" * 64)
    assert response.json()["status"] == "rejected"
    assert hub.objects(hub.landing) == []


async def test_a_parquet_upload_validates(hub: Hub) -> None:
    table = pa.table(
        {
            "PAT_ID": ["A1", "A2"],
            "SEX_COD": [1, 2],
            "NAI_DTE": ["1970-01-01", "1980-02-02"],
            "POIDS": [1.5, 2.5],
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    response = await hub.send(buffer.getvalue(), format="parquet")
    assert response.json()["status"] == "validated", response.json()


async def test_an_abandoned_upload_expires_and_leaves_nothing(hub: Hub) -> None:
    data = csv_bytes(good_rows(10))
    upload = await hub.start(data)
    assert (await hub.put(upload["id"], 1, data)).status_code == 200
    assert len(hub.objects(hub.landing)) == 1
    aborted = await hub.client.delete(hub.url(f"/uploads/{upload['id']}"), headers=hub.producer)
    assert aborted.status_code == 204
    assert hub.objects(hub.landing) == []
    closed = await hub.put(upload["id"], 1, data)
    assert closed.status_code == 409
    assert closed.json()["type"] == "/problems/upload-closed"


async def test_expiry_purges_parts(hub: Hub, clean_database: str) -> None:
    data = csv_bytes(good_rows(10))
    upload = await hub.start(data)
    assert (await hub.put(upload["id"], 1, data)).status_code == 200
    engine = create_async_engine(clean_database)
    async with engine.begin() as connection:
        await connection.execute(
            sa.text("UPDATE catalog.upload SET expires_at = now() - interval '1 minute'")
        )
    await engine.dispose()
    response = await hub.client.post("/catalog/uploads/expire", headers=hub.staff)
    assert response.json() == {"expired": 1}
    assert hub.objects(hub.landing) == []
    refused = await hub.client.post("/catalog/uploads/expire", headers=hub.producer)
    assert refused.status_code == 403
    await asyncio.sleep(0)


async def test_completing_with_missing_parts_is_a_conflict(hub: Hub) -> None:
    data = csv_bytes(good_rows(10))
    upload = await hub.start(data)
    assert (await hub.put(upload["id"], 2, data)).status_code == 200
    response = await hub.client.post(
        hub.url(f"/uploads/{upload['id']}/complete"), headers=hub.producer
    )
    assert response.status_code == 409
    assert response.json()["type"] == "/problems/incomplete-upload"


async def test_concurrent_uploads_of_one_table_get_distinct_versions(hub: Hub) -> None:
    files = [csv_bytes(good_rows(20 + n)) for n in range(3)]
    responses = await asyncio.gather(*(hub.send(data) for data in files))
    assert [r.status_code for r in responses] == [202] * 3, [r.text for r in responses]
    assert sorted(r.json()["number"] for r in responses) == [1, 2, 3]
    assert len(hub.objects(hub.landing)) == 3  # none overwrote another's Parquet


BENEFICIARY = {
    "name": "BENEFICIAIRE",
    "primaryKey": "REF",
    "fields": [
        {"name": "REF", "type": "string", "identifier": "none", "identifierKind": "none"},
        {"name": "BEN_NIR", "type": "string", "identifier": "none", "identifierKind": "none"},
        {"name": "NAI_DTE", "type": "date", "identifier": "none", "identifierKind": "sex"},
        {"name": "CONTACT", "type": "string"},
    ],
}


def nir(body: str) -> str:
    return f"{body}{97 - int(body) % 97:02d}"


async def test_declarations_never_switch_an_identifier_off(hub: Hub, clean_database: str) -> None:
    imported = await hub.client.post(
        "/catalog/import/table-schema",
        params={"dataset_id": hub.dataset_id},
        json={"resources": [{"name": "BENEFICIAIRE", "schema": BENEFICIARY}]},
        headers=hub.staff,
    )
    assert imported.status_code == 200, imported.text
    nirs = [nir(f"1{50 + i % 40:02d}0{1 + i % 9}75{i:06d}") for i in range(30)]
    rows = [[n, n, "1970-01-01", f"p{i}@exemple.fr"] for i, n in enumerate(nirs)]
    data = csv_bytes(rows, header=["REF", "BEN_NIR", "NAI_DTE", "CONTACT"])
    response = await hub.send(data, table="BENEFICIAIRE")
    assert response.status_code == 202 and response.json()["status"] == "validated"
    (event,) = await outbox_events(clean_database, "hdh.catalog.version.validated.v1")
    assert event["columns"] == [
        {"name": "REF", "identifier": "nir"},
        {"name": "BEN_NIR", "identifier": "nir"},
        {"name": "NAI_DTE", "identifier": "birth_date"},
        {"name": "CONTACT", "identifier": "direct"},
    ]
    version_id = response.json()["id"]
    report = (
        await hub.client.get(hub.url(f"/versions/{version_id}/report"), headers=hub.producer)
    ).json()
    assert report["notices"] == [
        {"column": "REF", "rule": "nir-key", "identifier": "nir"},
        {"column": "CONTACT", "rule": "email", "identifier": "direct"},
    ]
    assert not any(n in str(report) for n in nirs)


async def test_a_report_never_shows_a_value_of_an_identifier_column(hub: Hub) -> None:
    insured = {
        "name": "ASSURE",
        "primaryKey": "BEN_NIR",
        "fields": [
            {"name": "BEN_NIR", "type": "string"},
            {"name": "NB", "type": "integer", "identifier": "none"},
        ],
    }
    imported = await hub.client.post(
        "/catalog/import/table-schema",
        params={"dataset_id": hub.dataset_id},
        json={"resources": [{"name": "ASSURE", "schema": insured}]},
        headers=hub.staff,
    )
    assert imported.status_code == 200, imported.text
    nirs = [nir(f"2{60 + i % 30:02d}1{i % 3}13{i:06d}") for i in range(20)]
    rows = [[nirs[i % 10], i] for i in range(19)] + [["", "jean.dupont@exemple.fr"]]
    version = (await hub.send(csv_bytes(rows, header=["BEN_NIR", "NB"]), table="ASSURE")).json()
    assert version["status"] == "rejected"
    report = (
        await hub.client.get(hub.url(f"/versions/{version['id']}/report"), headers=hub.producer)
    ).json()
    assert {e["rule"] for e in report["errors"]} == {"primary-key", "type:integer"}
    assert all(e["value"] is None and e["row"] for e in report["errors"])
    assert not any(n in str(report) for n in nirs)
    assert "dupont" not in str(report)

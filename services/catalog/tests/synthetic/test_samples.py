"""Acceptance 4: synthetic rows of related tables join on their foreign keys."""

import hashlib
import io

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from catalog.main import create_app
from hdh_dev.testing import SettingsFactory, TokenFactory, bearer, running

from ..snds import Snds, nomenclature_package, table_package

ROWS = 300


async def sample(snds: Snds, table: str, *, format: str = "parquet", rows: int = ROWS) -> pa.Table:
    response = await snds.client.get(
        f"/catalog/datasets/{snds.dataset_id}/tables/{table}/sample",
        params={"rows": rows, "format": format, "seed": 7},
        headers=snds.staff,
    )
    assert response.status_code == 200, response.text
    assert response.headers["x-hdh-synthetic"] == "true"
    assert "synthetic" in response.headers["content-disposition"]
    if format == "csv":
        return pa_csv.read_csv(io.BytesIO(response.content))
    table_ = pq.read_table(io.BytesIO(response.content))
    assert table_.schema.metadata[b"hdh:synthetic"] == b"true"
    return table_


@pytest.mark.parametrize(
    ("child", "parent", "keys"),
    [
        ("ER_PRS_F", "IR_BEN_R", ["BEN_NIR_PSA", "BEN_RNG_GEM"]),
        (
            "ER_PHA_F",
            "ER_PRS_F",
            [
                "DCT_ORD_NUM",
                "FLX_DIS_DTD",
                "FLX_EMT_NUM",
                "FLX_EMT_ORD",
                "FLX_EMT_TYP",
                "FLX_TRT_DTD",
                "ORG_CLE_NUM",
                "PRS_ORD_NUM",
                "REM_TYP_AFF",
            ],
        ),
    ],
)
async def test_related_tables_join_on_their_foreign_key(
    snds: Snds, child: str, parent: str, keys: list[str]
) -> None:
    children, parents = await sample(snds, child), await sample(snds, parent)
    assert children.num_rows == parents.num_rows == ROWS
    parent_keys = parents.select(keys)
    assert len(set(zip(*parent_keys.to_pydict().values(), strict=True))) == ROWS
    joined = children.select(keys).join(
        parent_keys.append_column("hit", pa.array([1] * ROWS)), keys
    )
    assert joined.num_rows == ROWS
    assert joined.column("hit").null_count == 0


async def test_codes_come_from_the_nomenclature(snds: Snds) -> None:
    table = await sample(snds, "IR_BEN_R")
    assert set(table.column("BEN_SEX_COD").to_pylist()) <= {0, 1, 2, 9}


async def test_csv_has_the_schema_columns(snds: Snds) -> None:
    table = await sample(snds, "IR_BEN_R", format="csv", rows=20)
    listing = await snds.client.get(
        f"/catalog/datasets/{snds.dataset_id}/tables/IR_BEN_R", headers=snds.staff
    )
    assert table.column_names == [v["name"] for v in listing.json()["variables"]]
    assert table.num_rows == 20


async def test_unknown_table_and_bad_size_are_refused(snds: Snds) -> None:
    base = f"/catalog/datasets/{snds.dataset_id}/tables"
    missing = await snds.client.get(f"{base}/NOPE/sample", headers=snds.staff)
    assert missing.status_code == 404
    too_many = await snds.client.get(
        f"{base}/IR_BEN_R/sample", params={"rows": 10**6}, headers=snds.staff
    )
    assert too_many.status_code == 422


async def test_a_sample_uploads_as_a_valid_version_with_its_code_lists_loaded(
    make_settings: SettingsFactory, make_token: TokenFactory, clean_database: str
) -> None:
    """What `make demo` does: a producer uploads a sample of IR_BEN_R, whose composite key
    holds a coded rank (IR_BER_V) and whose dates refer to the calendar IR_DTE_V."""
    staff = bearer(make_token("catalog", "hub_staff", sub="hub_staff-1", org="hdh"))
    producer = bearer(make_token("catalog", "producer", sub="producer-1", org="cnam"))
    codes = {"IR_BER_V", "IR_DTE_V", "IR_SEX_V"}
    async with running(create_app(make_settings("catalog"))) as client:
        body = {"slug": "beneficiaires", "title": "Bénéficiaires", "publisher": "cnam"}
        dataset_id = (await client.post("/catalog/datasets", json=body, headers=staff)).json()["id"]
        for package, params in (
            (nomenclature_package(with_codes=codes), {}),
            (table_package(), {"dataset_id": dataset_id}),
        ):
            imported = await client.post(
                "/catalog/import/table-schema", params=params, json=package, headers=staff
            )
            assert imported.status_code == 200, imported.text
        base = f"/catalog/datasets/{dataset_id}"
        data = (
            await client.get(
                f"{base}/tables/IR_BEN_R/sample",
                params={"rows": 500, "format": "csv"},
                headers=producer,
            )
        ).content
        digest = hashlib.sha256(data).hexdigest()
        upload = (
            await client.post(
                f"{base}/uploads",
                json={"table": "IR_BEN_R", "size": len(data), "sha256": digest},
                headers=producer,
            )
        ).json()
        part = await client.put(
            f"{base}/uploads/{upload['id']}/parts/1",
            content=data,
            headers=producer | {"X-Part-SHA256": digest},
        )
        assert part.status_code == 200, part.text
        version = await client.post(f"{base}/uploads/{upload['id']}/complete", headers=producer)
        assert version.json()["status"] == "validated", version.text

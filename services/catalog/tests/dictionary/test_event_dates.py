"""A table's event date(s): declared in its Table Schema (or by the SNDS seed), shown in the
dictionary and announced to the access service, which applies a grant's period to them."""

import json
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from catalog.imports.frictionless import read_document
from catalog.seed import read_folder
from catalog.seed_event_dates import SNDS_EVENT_DATES
from hdh_dev.testing import TokenFactory, bearer

from ..snds import SNDS

CARE = {
    "name": "SOINS",
    "eventDates": ["SOI_DTD"],
    "fields": [
        {"name": "BEN_NIR_PSA", "type": "string"},
        {"name": "SOI_DTD", "type": "date"},
        {"name": "MNT", "type": "number"},
    ],
}


def test_the_seed_gives_snds_care_tables_their_care_date_and_referentials_none() -> None:
    tables, _ = read_folder(SNDS / "schemas")
    declared = {r["name"]: r["schema"].get("eventDates", []) for r in tables["resources"]}
    assert declared["ER_PRS_F"] == ["EXE_SOI_DTD"]
    assert declared["T_MCOaaC"] == ["SOR_DAT"]  # a stay: its discharge date
    assert declared["IR_BEN_R"] == []  # the beneficiaries' referential: granted whole
    seeded = {name for name, columns in declared.items() if columns}
    assert seeded == set(SNDS_EVENT_DATES) & set(declared)  # every seed entry applies
    package = read_document(tables)
    assert package.errors == []  # every seeded column is a date field of its table


def test_an_event_date_must_be_a_date_field_of_the_table() -> None:
    schema = CARE | {"eventDates": ["MNT", "NOPE"]}
    errors = read_document(schema).errors
    assert [e["msg"] for e in errors] == [
        "'MNT' is not a date or datetime field.",
        "'NOPE' is not a date or datetime field.",
    ]


async def test_imported_event_dates_are_shown_and_announced(
    client: httpx.AsyncClient, make_token: TokenFactory, clean_database: str
) -> None:
    staff = bearer(make_token("catalog", "hub_staff", sub="hub_staff-1", org="hdh"))
    body = {"slug": "soins", "title": "Soins", "publisher": "cnam"}
    dataset = (await client.post("/catalog/datasets", json=body, headers=staff)).json()
    url, params = "/catalog/import/table-schema", {"dataset_id": dataset["id"]}
    imported = await client.post(url, params=params, json=CARE, headers=staff)
    assert imported.status_code == 200, imported.text
    table = await client.get(f"/catalog/datasets/{dataset['id']}/tables/SOINS", headers=staff)
    assert table.json()["event_dates"] == ["SOI_DTD"]
    [published] = await outbox_data(clean_database, "hdh.catalog.table.published.v1")
    assert {v["name"]: v["event_date"] for v in published["variables"]} == {
        "BEN_NIR_PSA": False,
        "SOI_DTD": True,
        "MNT": False,
    }
    refused = await client.post(
        url, params=params, json=CARE | {"eventDates": "MNT"}, headers=staff
    )
    assert refused.status_code == 400
    assert refused.headers["content-type"] == "application/problem+json"
    undeclared = await client.post(
        url, params=params, json={k: v for k, v in CARE.items() if k != "eventDates"}, headers=staff
    )
    assert undeclared.json()["tables"]["changed"] == ["SOINS"]  # no event date any more
    listing = await client.get(f"/catalog/datasets/{dataset['id']}/tables", headers=staff)
    assert [t["event_dates"] for t in listing.json()["items"]] == [[]]


async def outbox_data(url: str, type_: str) -> list[dict[str, Any]]:
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        found = await connection.scalars(
            sa.text("SELECT payload->'data' FROM catalog.outbox WHERE payload->>'type' = :t"),
            {"t": type_},
        )
        data = [json.loads(d) if isinstance(d, str) else d for d in found]
    await engine.dispose()
    return data

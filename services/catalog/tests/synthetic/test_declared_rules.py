"""Synthetic samples of a dictionary that declares every kind of constraint the SNDS does not
(patterns, exclusive bounds, string formats, custom booleans and date formats, times,
durations) and order rules within a table and across a foreign key; and the order rules a
dictionary may not declare."""

import csv
import io
from typing import Any

import frictionless
import httpx
import pyarrow.parquet as pq
import pytest

from hdh_dev.testing import TokenFactory, bearer

V2 = "https://datapackage.org/profiles/2.0/tableschema.json"
RESOURCE_V2 = "https://datapackage.org/profiles/2.0/dataresource.json"
PERSON: dict[str, Any] = {
    "$schema": V2,
    "name": "PERSON",
    "primaryKey": "PID",
    "fields": [
        {"name": "PID", "type": "string", "constraints": {"minLength": 8, "maxLength": 8}},
        {"name": "CODE", "type": "string", "constraints": {"pattern": "[A-Z]{2}-[0-9]{3}"}},
        {"name": "MAIL", "type": "string", "format": "email"},
        {"name": "WEB", "type": "string", "format": "uri"},
        {"name": "UID", "type": "string", "format": "uuid", "constraints": {"unique": True}},
        {
            "name": "AGE",
            "type": "integer",
            "constraints": {"exclusiveMinimum": 17, "exclusiveMaximum": 21, "required": True},
        },
        {"name": "SCORE", "type": "number", "constraints": {"minimum": 0.5, "maximum": 0.75}},
        {"name": "KIND", "type": "string", "constraints": {"enum": ["a", "b"]}},
        {"name": "FLAG", "type": "boolean", "trueValues": ["O"], "falseValues": ["N"]},
        {"name": "BIRTH", "type": "date", "format": "%d/%m/%Y"},
        {"name": "DEATH", "type": "date", "constraints": {"maximum": "2030-12-31"}},
        {"name": "AT", "type": "time"},
        {"name": "SPAN", "type": "duration"},
        {"name": "YM", "type": "yearmonth"},
        {"name": "YEAR", "type": "year", "constraints": {"minimum": 1990, "maximum": 1995}},
        {"name": "NICK", "type": "string", "constraints": {"maxLength": 3}},
    ],
    "orderRules": [
        {"before": "YEAR", "after": "BIRTH"},
        {"before": "BIRTH", "after": "DEATH", "strict": True},
    ],
}
VISIT: dict[str, Any] = {
    "name": "VISIT",
    "primaryKey": "VID",
    "fields": [
        {"name": "VID", "type": "integer", "constraints": {"minimum": 1000}},
        {"name": "PID", "type": "string"},
        {"name": "START", "type": "datetime", "format": "%d%b%Y:%H:%M:%S"},
        {"name": "END", "type": "datetime"},
    ],
    "foreignKeys": [{"fields": "PID", "reference": {"resource": "PERSON", "fields": "PID"}}],
    "orderRules": [
        {"before": {"resource": "PERSON", "field": "BIRTH"}, "after": "START"},
        {"before": "START", "after": "END"},
        {"before": "END", "after": {"resource": "PERSON", "field": "DEATH"}},
    ],
}


@pytest.fixture
def staff(make_token: TokenFactory) -> dict[str, str]:
    return bearer(make_token("catalog", "hub_staff", sub="hub_staff-1", org="hdh"))


async def dataset_with(
    client: httpx.AsyncClient, staff: dict[str, str], *tables: dict[str, Any]
) -> httpx.Response:
    body = {"slug": "declared-rules", "title": "Règles déclarées", "publisher": "cnam"}
    created = await client.post("/catalog/datasets", json=body, headers=staff)
    assert created.status_code == 201, created.text
    package = {"resources": [{"name": t["name"], "schema": t} for t in tables]}
    return await client.post(
        "/catalog/import/table-schema",
        params={"dataset_id": created.json()["id"]},
        json=package,
        headers=staff,
    )


def frictionless_errors(schema: dict[str, Any], content: bytes) -> list[list[Any]]:
    descriptor = {k: v for k, v in schema.items() if k not in ("name", "foreignKeys", "orderRules")}
    rows = list(csv.reader(io.StringIO(content.decode())))
    resource = frictionless.Resource(
        {"$schema": RESOURCE_V2, "name": "sample", "data": rows, "schema": descriptor}
    )
    report = frictionless.validate(resource)
    return list(report.flatten(["type", "rowNumber", "fieldName", "note"]))


async def test_every_declared_constraint_and_order_rule_is_kept(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    imported = await dataset_with(client, staff, PERSON, VISIT)
    assert imported.status_code == 200, imported.text
    base = f"/catalog/datasets/{imported.json()['dataset_id']}/tables"
    samples: dict[str, Any] = {}
    for schema in (PERSON, VISIT):
        params = {"rows": 200, "seed": 3}
        text = await client.get(f"{base}/{schema['name']}/sample",
                                params=params | {"format": "csv"}, headers=staff)  # fmt: skip
        assert text.status_code == 200, text.text
        assert text.headers["x-hdh-synthetic"] == "true"
        assert f"{schema['name']}.synthetic.csv" in text.headers["content-disposition"]
        assert frictionless_errors(schema, text.content) == []
        parquet = await client.get(f"{base}/{schema['name']}/sample", params=params, headers=staff)
        table = pq.read_table(io.BytesIO(parquet.content))
        assert table.schema.metadata[b"hdh:synthetic"] == b"true"
        samples[schema["name"]] = table.to_pydict()
    person, visit = samples["PERSON"], samples["VISIT"]
    assert set(person["FLAG"]) == {True, False} and len(set(person["UID"])) == 200
    assert all(y <= b.year and b < d for y, b, d in zip(person["YEAR"], person["BIRTH"],
                                                        person["DEATH"], strict=True))  # fmt: skip
    row_of = {pid: i for i, pid in enumerate(person["PID"])}
    for pid, start, end in zip(visit["PID"], visit["START"], visit["END"], strict=True):
        owner = row_of[pid]
        assert person["BIRTH"][owner] <= start.date() <= end.date() <= person["DEATH"][owner]


async def test_the_dictionary_serves_the_order_rules(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    imported = await dataset_with(client, staff, PERSON, VISIT)
    table = await client.get(
        f"/catalog/datasets/{imported.json()['dataset_id']}/tables/VISIT", headers=staff
    )
    assert table.json()["order_rules"][0] == {
        "before": {"field": "BIRTH", "resource": "PERSON"},
        "after": {"field": "START", "resource": None},
        "strict": False,
    }


REFUSED: list[tuple[object, str]] = [
    ([{"before": "NOPE", "after": "START"}], "'NOPE' is not a field of this table."),
    ([{"before": "PID", "after": "START"}], "'PID' is not a number, date or year."),
    ([{"before": "VID", "after": "START"}], "A date is only ordered against a date."),
    ([{"before": {"resource": "ELSEWHERE", "field": "X"}, "after": "START"}],
     "resource is a table a foreign key points to."),
    ([{"before": "START", "after": "END"}, {"before": "END", "after": "START"}],
     "The order rules go round in a circle."),
    ([{"before": "START"}], "A rule is an object with before and after."),
    ("START < END", "orderRules is a list of rules."),
]  # fmt: skip


async def test_a_rule_that_cannot_hold_is_refused(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    body = {"slug": "refused-rules", "title": "Règles refusées", "publisher": "cnam"}
    created = await client.post("/catalog/datasets", json=body, headers=staff)
    for rules, message in REFUSED:
        tables = (PERSON, VISIT | {"orderRules": rules})
        package = {"resources": [{"name": t["name"], "schema": t} for t in tables]}
        refused = await client.post(
            "/catalog/import/table-schema",
            params={"dataset_id": created.json()["id"]},
            json=package,
            headers=staff,
        )
        assert refused.status_code == 400, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert message in [error["msg"] for error in refused.json()["errors"]], rules

"""Curation: edits and status changes are revisions, with who, when and a diff."""

from typing import Any

import httpx
import pytest

from hdh_dev.testing import TokenFactory, bearer

TABLE = {
    "name": "CAS",
    "fields": [
        {"name": "ID", "type": "string"},
        {"name": "AGE", "type": "integer"},
        {"name": "CODE", "type": "string"},
    ],
}


@pytest.fixture
async def dataset(client: httpx.AsyncClient, make_token: TokenFactory) -> dict[str, Any]:
    staff = bearer(make_token("catalog", "hub_staff", sub="hub_staff-1", org="hdh"))
    body = {"slug": "registre", "title": "Registre", "publisher": "francim"}
    created = (await client.post("/catalog/datasets", json=body, headers=staff)).json()
    url = "/catalog/import/table-schema"
    await client.post(url, params={"dataset_id": created["id"]}, json=TABLE, headers=staff)
    return dict(created)


async def test_edit_publish_deprecate_and_diff(
    client: httpx.AsyncClient, make_token: TokenFactory, dataset: dict[str, Any]
) -> None:
    staff = bearer(make_token("catalog", "hub_staff", sub="hub_staff-1", org="hdh"))
    producer = bearer(make_token("catalog", "producer", sub="producer-1", org="francim"))
    base = f"/catalog/datasets/{dataset['id']}"
    edited = await client.patch(base, json={"title": "Registre des cancers"}, headers=producer)
    assert edited.status_code == 200 and edited.json()["title"] == "Registre des cancers"
    retyped = TABLE | {
        "fields": [{"name": "ID", "type": "string"}, {"name": "AGE", "type": "number"}]
    }
    url = "/catalog/import/table-schema"
    report = await client.post(
        url, params={"dataset_id": dataset["id"]}, json=retyped, headers=producer
    )
    assert {(b["variable"], b["change"]) for b in report.json()["breaking"]} == {
        ("AGE", "retyped"),
        ("CODE", "removed"),
    }
    assert (await client.post(f"{base}/publish", headers=staff)).json()["status"] == "published"
    assert (await client.post(f"{base}/deprecate", headers=staff)).json()["status"] == "deprecated"
    revisions = (await client.get(f"{base}/revisions", headers=producer)).json()["items"]
    assert [r["note"] for r in revisions] == [
        "registered",
        "dictionary imported",
        "edited",
        "dictionary imported",
        "published",
        "deprecated",
    ]
    assert revisions[2]["changed_by"] == "producer-1"
    first = (await client.get(f"{base}/revisions", params={"limit": 4}, headers=staff)).json()
    rest = await client.get(
        f"{base}/revisions", params={"limit": 4, "cursor": first["next_cursor"]}, headers=staff
    )
    assert [r["revision"] for r in first["items"] + rest.json()["items"]] == [1, 2, 3, 4, 5, 6]
    assert rest.json()["next_cursor"] is None
    diff = (
        await client.get(f"{base}/revisions/diff", params={"from": 2, "to": 6}, headers=staff)
    ).json()
    assert diff["metadata"]["title"] == {"before": "Registre", "after": "Registre des cancers"}
    assert diff["metadata"]["status"] == {"before": "draft", "after": "deprecated"}
    assert diff["variables"]["removed"] == ["CAS.CODE"]
    assert {(b["variable"], b["change"], b["before"], b["after"]) for b in diff["breaking"]} == {
        ("AGE", "retyped", "integer", "number"),
        ("CODE", "removed", None, None),
    }


async def test_only_staff_publish_and_only_the_owner_edits(
    client: httpx.AsyncClient, make_token: TokenFactory, dataset: dict[str, Any]
) -> None:
    base = f"/catalog/datasets/{dataset['id']}"
    producer = bearer(make_token("catalog", "producer", sub="producer-1", org="francim"))
    assert (await client.post(f"{base}/publish", headers=producer)).status_code == 403
    # a draft does not exist for another organisation's producer nor for a researcher
    other = bearer(make_token("catalog", "producer", sub="producer-1", org="cnam"))
    assert (await client.patch(base, json={"title": "x"}, headers=other)).status_code == 404
    researcher = bearer(make_token("catalog", "researcher", sub="researcher-1", org="francim"))
    assert (await client.patch(base, json={"title": "x"}, headers=researcher)).status_code == 404
    staff = bearer(make_token("catalog", "hub_staff", sub="hub_staff-1", org="hdh"))
    assert (await client.post(f"{base}/publish", headers=staff)).status_code == 200
    for someone in (other, researcher):  # published, it is seen, and still not theirs to edit
        assert (await client.patch(base, json={"title": "x"}, headers=someone)).status_code == 403
    again = await client.post(f"{base}/publish", headers=staff)
    assert again.status_code == 409


async def test_import_into_another_organisations_dataset_is_forbidden(
    client: httpx.AsyncClient, make_token: TokenFactory, dataset: dict[str, Any]
) -> None:
    other = bearer(make_token("catalog", "producer", sub="producer-1", org="cnam"))
    response = await client.post(
        "/catalog/import/table-schema",
        params={"dataset_id": dataset["id"]},
        json=TABLE,
        headers=other,
    )
    assert response.status_code == 404  # another organisation's draft does not exist for it


async def test_a_bad_table_schema_is_a_problem_and_writes_nothing(
    client: httpx.AsyncClient, make_token: TokenFactory, dataset: dict[str, Any]
) -> None:
    staff = bearer(make_token("catalog", "hub_staff", sub="hub_staff-1", org="hdh"))
    bad = {
        "name": "BAD",
        "primaryKey": "NOPE",
        "fields": [{"name": "A", "type": "wrong"}],
        "foreignKeys": [{"fields": "A", "reference": {"resource": "MISSING", "fields": "X"}}],
    }
    response = await client.post(
        "/catalog/import/table-schema",
        params={"dataset_id": dataset["id"]},
        json=bad,
        headers=staff,
    )
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "/problems/invalid-table-schema"
    assert {e["loc"] for e in body["errors"]} == {"schema.fields[0].type", "schema.primaryKey"}
    tables = (await client.get(f"/catalog/datasets/{dataset['id']}/tables", headers=staff)).json()
    assert [t["name"] for t in tables["items"]] == ["CAS"]
    nomenclature = {
        "resources": [{"name": "N", "schema": {"fields": [{"name": "C", "role": "code"}]}}]
    }
    producer = bearer(make_token("catalog", "producer", sub="producer-1", org="francim"))
    refused = await client.post("/catalog/import/table-schema", json=nomenclature, headers=producer)
    assert refused.status_code == 403

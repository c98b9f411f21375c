"""Acceptance 1: the whole SNDS imports, and the API gives back exactly what the files say."""

import httpx

from ..snds import Snds, nomenclature_files, table_package, table_schemas


def _names(value: object) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value or []]


def _expected_foreign_keys(schema: dict[str, object]) -> list[tuple[list[str], str, list[str]]]:
    keys = schema.get("foreignKeys") or []
    assert isinstance(keys, list)
    return [
        (_names(k["fields"]), k["reference"]["resource"], _names(k["reference"]["fields"]))
        for k in keys
    ]


async def test_every_table_field_key_and_reference_is_imported(snds: Snds) -> None:
    schemas = table_schemas()
    listing = await snds.client.get(
        f"/catalog/datasets/{snds.dataset_id}/tables", params={"limit": 200}, headers=snds.staff
    )
    assert listing.status_code == 200
    assert sorted(t["name"] for t in listing.json()["items"]) == sorted(s["name"] for s in schemas)
    for schema in schemas:
        response = await snds.client.get(
            f"/catalog/datasets/{snds.dataset_id}/tables/{schema['name']}", headers=snds.staff
        )
        assert response.status_code == 200, schema["name"]
        table = response.json()
        assert [v["name"] for v in table["variables"]] == [f["name"] for f in schema["fields"]]
        assert table["primary_key"] == _names(schema.get("primaryKey"))
        imported_keys = [
            (k["fields"], k["reference_table"], k["reference_fields"])
            for k in table["foreign_keys"]
        ]
        assert imported_keys == _expected_foreign_keys(schema)
        expected_refs = [
            None if f["nomenclature"] in ("", "-") else f["nomenclature"] for f in schema["fields"]
        ]
        assert [v["nomenclature"] for v in table["variables"]] == expected_refs


async def test_report_counts_match_the_files(snds: Snds) -> None:
    schemas = table_schemas()
    fields = [f for s in schemas for f in s["fields"]]
    counts = snds.first_report["counts"]
    assert counts == {
        "tables": len(schemas),
        "variables": len(fields),
        "primary_keys": sum(1 for s in schemas if "primaryKey" in s),
        "foreign_keys": sum(len(s.get("foreignKeys") or []) for s in schemas),
        "nomenclature_references": sum(1 for f in fields if f["nomenclature"] not in ("", "-")),
        "nomenclatures": 0,
    }
    assert len(snds.first_report["tables"]["added"]) == len(schemas)


async def test_every_referenced_nomenclature_is_in_the_catalogue(snds: Snds) -> None:
    names: set[str] = set()
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 200} | ({"cursor": cursor} if cursor else {})
        page = (
            await snds.client.get("/catalog/nomenclatures", params=params, headers=snds.staff)
        ).json()
        names |= {n["name"] for n in page["items"]}
        cursor = page.get("next_cursor")
        if cursor is None:
            break
    assert names == {schema["name"] for _, schema in nomenclature_files()}
    referenced = {
        f["nomenclature"].split(":")[0]
        for s in table_schemas()
        for f in s["fields"]
        if f["nomenclature"] not in ("", "-")
    }
    assert referenced <= names


async def test_reimport_is_idempotent(snds: Snds) -> None:
    url = f"/catalog/datasets/{snds.dataset_id}"
    before = (await snds.client.get(url, headers=snds.staff)).json()["revision"]
    response = await snds.client.post(
        "/catalog/import/table-schema",
        params={"dataset_id": snds.dataset_id},
        json=table_package(),
        headers=snds.staff,
    )
    assert response.status_code == 200
    report = response.json()
    assert report["changed"] is False
    assert report["tables"]["unchanged"] == len(table_schemas())
    assert report["revision"] == before


async def test_graph_has_a_node_per_table_and_an_edge_per_foreign_key(snds: Snds) -> None:
    response = await snds.client.get(
        f"/catalog/datasets/{snds.dataset_id}/graph", headers=snds.staff
    )
    graph = response.json()
    schemas = table_schemas()
    assert len(graph["nodes"]) == len(schemas)
    assert len(graph["edges"]) == sum(len(s.get("foreignKeys") or []) for s in schemas)
    nodes = {n["id"] for n in graph["nodes"]}
    assert all(e["source"] in nodes and e["target"] in nodes for e in graph["edges"])
    assert {"source": "ER_PRS_F", "target": "IR_BEN_R"} in [
        {"source": e["source"], "target": e["target"]} for e in graph["edges"]
    ]


async def test_identifier_flags_and_existence_years(snds: Snds) -> None:
    response = await snds.client.get(
        f"/catalog/datasets/{snds.dataset_id}/tables/IR_BEN_R", headers=snds.staff
    )
    variables = {v["name"]: v for v in response.json()["variables"]}
    assert variables["BEN_NIR_PSA"]["identifier"] == "direct"
    assert variables["BEN_NAI_ANN"]["identifier"] == "indirect"
    assert variables["BEN_SEX_COD"]["identifier"] == "indirect"
    assert variables["BEN_IDT_TOP"]["identifier"] == "none"  # a flag about the identifier
    response = await snds.client.get(
        f"/catalog/datasets/{snds.dataset_id}/tables/ER_PRS_F", headers=snds.staff
    )
    variables = {v["name"]: v for v in response.json()["variables"]}
    assert variables["BEN_AMA_COD"]["created_year"] == 2006
    assert variables["BEN_AMA_COD"]["deleted_year"] is None


async def test_unknown_table_is_not_found(snds: Snds, client: httpx.AsyncClient) -> None:
    response = await snds.client.get(
        f"/catalog/datasets/{snds.dataset_id}/tables/NOPE", headers=snds.staff
    )
    assert response.status_code == 404
    assert response.json()["type"] == "/problems/not-found"

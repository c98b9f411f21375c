"""Imported documents are stored text: a NUL character in them is refused, not a crash."""

import httpx
import pytest

from hdh_dev.testing import TokenFactory, bearer


@pytest.mark.parametrize(
    "field",
    [
        {"name": "POIDS", "type": "number", "title": "Poids\x00"},
        {"name": "POIDS\x00", "type": "number"},
        {"name": "POIDS", "type": "number", "description": "kg\x00"},
    ],
)
async def test_a_nul_character_in_an_imported_schema_is_a_problem(
    client: httpx.AsyncClient, make_token: TokenFactory, field: dict[str, str]
) -> None:
    staff = bearer(make_token("catalog", "hub_staff", sub="hub_staff-1", org="hdh"))
    body = {"slug": "patients", "title": "Patients", "publisher": "aphp"}
    dataset = (await client.post("/catalog/datasets", json=body, headers=staff)).json()
    schema = {"name": "PATIENT", "fields": [{"name": "PAT_ID", "type": "string"}, field]}
    response = await client.post(
        "/catalog/import/table-schema",
        params={"dataset_id": dataset["id"]},
        json={"resources": [{"name": "PATIENT", "schema": schema}]},
        headers=staff,
    )
    assert response.status_code == 400, response.text
    assert response.json()["type"] == "/problems/invalid-table-schema"

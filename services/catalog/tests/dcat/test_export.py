"""Acceptance 3: every dataset's DCAT-AP export passes the SHACL shapes of shared/data/dcat."""

import functools
import json

import httpx
import pytest
from pyshacl import validate
from rdflib import Graph, Literal, Namespace
from rdflib.namespace import RDF

from hdh_dev.testing import TokenFactory, bearer

from ..snds import DCAT, Snds

CSVW = Namespace("http://www.w3.org/ns/csvw#")
DCAT_NS = Namespace("http://www.w3.org/ns/dcat#")
DCAT_AP = (DCAT / "dcat-ap-3.0.1" / "shacl" / "dcat-ap-SHACL.ttl",)
HEALTH = (
    DCAT / "healthdcat-ap" / "shacl" / "healthdcat-ap-r5-non-public-shapes.ttl",
    DCAT / "dcat-ap-3.0.0" / "shacl-split" / "shapes.ttl",
)


@functools.cache
def shapes(*files: object) -> Graph:
    graph = Graph()
    for file in files:
        graph.parse(str(file), format="turtle")
    return graph


def assert_conforms(data: Graph, *, non_public: bool) -> None:
    for files in (DCAT_AP, HEALTH) if non_public else (DCAT_AP,):
        conforms, _, report = validate(data, shacl_graph=shapes(*files), inference="none")
        assert conforms, report


FULL = {
    "slug": "registre-cancers",
    "title": "Registre des cancers",
    "title_en": "Cancer registry",
    "description": "Cas de cancers incidents.",
    "publisher": "francim",
    "themes": ["HEAL"],
    "keywords": ["cancer", "registre"],
    "access_rights": "restricted",
    "details": {
        "contact_point": {"name": "Francim", "email": "contact@francim.fr"},
        "number_of_records": 120000,
        "number_of_individuals": 100000,
        "update_frequency": "ANNUAL",
        "health_categories": ["IDHC"],
        "provenance": "Registres départementaux.",
        "version": "2024",
        "temporal_start": "2003-01-01",
        "temporal_end": "2023-12-31",
        "legal_basis": ["GDPR art. 6(1)(e)", "https://w3id.org/dpv#PublicInterest"],
        "personal_data": ["https://w3id.org/dpv/pd#HealthRecord"],
        "landing_page": "https://www.francim.fr/registres",
    },
}
TABLE = {
    "name": "TUMEUR",
    "title": "Tumeurs",
    "primaryKey": "TUM_ID",
    "fields": [
        {"name": "TUM_ID", "type": "string", "title": "Identifiant de la tumeur"},
        {"name": "DIAG_DTE", "type": "date", "title": "Date du diagnostic"},
        {"name": "STADE", "type": "integer", "description": "Stade au diagnostic"},
    ],
}


async def test_the_snds_export_validates_in_both_formats(snds: Snds) -> None:
    url = f"/catalog/datasets/{snds.dataset_id}/dcat"
    turtle = await snds.client.get(url, headers=snds.staff | {"Accept": "text/turtle"})
    assert turtle.headers["content-type"].startswith("text/turtle")
    assert_conforms(Graph().parse(data=turtle.text, format="turtle"), non_public=True)
    jsonld = await snds.client.get(url, headers=snds.staff | {"Accept": "application/ld+json"})
    assert jsonld.headers["content-type"].startswith("application/ld+json")
    assert json.loads(jsonld.text)
    assert_conforms(Graph().parse(data=jsonld.text, format="json-ld"), non_public=True)


@pytest.mark.parametrize("access", ["public", "restricted", "non_public"])
async def test_every_dataset_and_the_catalogue_validate(
    client: httpx.AsyncClient, make_token: TokenFactory, access: str
) -> None:
    staff = bearer(make_token("catalog", "hub_staff", sub="hub_staff-1", org="hdh"))
    minimal = {"slug": "minimal", "title": "Minimal", "publisher": "cnam", "access_rights": access}
    for body in (FULL | {"access_rights": access}, minimal):
        assert (await client.post("/catalog/datasets", json=body, headers=staff)).status_code == 201
    response = await client.get(
        "/catalog/dcat",
        headers=bearer(make_token("catalog", "researcher", sub="researcher-1", org="cnam")),
    )
    assert response.status_code == 200
    graph = Graph().parse(data=response.text, format="json-ld")
    assert_conforms(graph, non_public=access == "non_public")


async def test_an_unsupported_media_type_is_not_acceptable(snds: Snds) -> None:
    response = await snds.client.get(
        f"/catalog/datasets/{snds.dataset_id}/dcat", headers=snds.staff | {"Accept": "image/png"}
    )
    assert response.status_code == 406
    assert response.json()["type"] == "/problems/not-acceptable"


async def test_each_table_is_a_distribution_with_its_columns_in_csvw(
    client: httpx.AsyncClient, make_token: TokenFactory
) -> None:
    staff = bearer(make_token("catalog", "hub_staff", sub="hub_staff-1", org="hdh"))
    body = {"slug": "tumeurs", "title": "Tumeurs", "publisher": "francim"}
    created = await client.post("/catalog/datasets", json=body, headers=staff)
    dataset_id = created.json()["id"]
    imported = await client.post(
        "/catalog/import/table-schema",
        params={"dataset_id": dataset_id},
        json={"resources": [{"name": "TUMEUR", "schema": TABLE}]},
        headers=staff,
    )
    assert imported.status_code == 200, imported.text
    response = await client.get(
        f"/catalog/datasets/{dataset_id}/dcat", headers=staff | {"Accept": "text/turtle"}
    )
    graph = Graph().parse(data=response.text, format="turtle")
    assert_conforms(graph, non_public=True)
    (schema,) = graph.subjects(RDF.type, CSVW.Table)
    assert (None, CSVW.tableSchema, schema) in graph
    columns = {
        str(graph.value(c, CSVW.name)): (
            str(graph.value(c, CSVW.datatype)),
            graph.value(c, CSVW.titles),
        )
        for c in graph.objects(schema, CSVW.column)
    }
    assert columns == {
        "TUM_ID": ("string", Literal("Identifiant de la tumeur", lang="fr")),
        "DIAG_DTE": ("date", Literal("Date du diagnostic", lang="fr")),
        "STADE": ("integer", Literal("Stade au diagnostic", lang="fr")),
    }
    dataset = next(graph.subjects(RDF.type, DCAT_NS.Dataset))
    assert set(graph.objects(dataset, DCAT_NS.keyword)) == {Literal("TUMEUR", lang="fr")}

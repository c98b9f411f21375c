"""Acceptance 3: every dataset's DCAT-AP export passes the SHACL shapes of shared/data/dcat."""

import functools
import json

import httpx
import pytest
from pyshacl import validate
from rdflib import Graph

from hdh_dev.testing import TokenFactory

from ..conftest import Snds, bearer
from ..snds import DCAT

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
    },
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
    staff = bearer(make_token, "hub_staff", org="hdh")
    minimal = {"slug": "minimal", "title": "Minimal", "publisher": "cnam", "access_rights": access}
    for body in (FULL | {"access_rights": access}, minimal):
        assert (await client.post("/catalog/datasets", json=body, headers=staff)).status_code == 201
    response = await client.get("/catalog/dcat", headers=bearer(make_token, "researcher"))
    assert response.status_code == 200
    graph = Graph().parse(data=response.text, format="json-ld")
    assert_conforms(graph, non_public=access == "non_public")


async def test_an_unsupported_media_type_is_not_acceptable(snds: Snds) -> None:
    response = await snds.client.get(
        f"/catalog/datasets/{snds.dataset_id}/dcat", headers=snds.staff | {"Accept": "image/png"}
    )
    assert response.status_code == 406
    assert response.json()["type"] == "/problems/not-acceptable"

"""Acceptance 2: French queries find the expected variables first."""

import unicodedata
from typing import Any

import httpx
import pytest

from hdh_dev.testing import TokenFactory, bearer

from ..snds import Snds


def unaccented(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


async def search(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> Any:
    response = await client.get("/catalog/search", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("query", ["acte medical", "acte médical", "ACTES MÉDICAUX"])
async def test_accents_case_and_plurals_are_ignored(snds: Snds, query: str) -> None:
    results = await search(snds.client, snds.staff, q=query, kind="variable", limit=5)
    top = results["items"][0]
    label = unaccented(top["label"])
    assert "acte" in label and "medica" in label
    assert "<mark>" in top["highlight"]


async def test_a_typo_still_finds_the_variable(snds: Snds) -> None:
    results = await search(snds.client, snds.staff, q="naissanse", kind="variable", limit=5)
    assert results["items"], results
    assert "naissance" in results["items"][0]["label"].lower()


async def test_a_name_or_label_match_ranks_above_a_passing_mention(snds: Snds) -> None:
    results = await search(snds.client, snds.staff, q="naissance", kind="variable", limit=200)
    in_label = ["naissance" in hit["label"].lower() for hit in results["items"]]
    assert True in in_label and False in in_label
    assert in_label == sorted(in_label, reverse=True)


async def test_variable_name_finds_the_variable(snds: Snds) -> None:
    results = await search(snds.client, snds.staff, q="BEN_NAI_ANN", limit=5)
    assert results["items"][0]["name"].upper() == "BEN_NAI_ANN"


@pytest.mark.parametrize(
    ("code", "nomenclature"), [("C510", "IR_CIM_V"), ("ahqp001", "IR_CCAM_V63")]
)
async def test_a_code_finds_its_nomenclature_entry(
    snds: Snds, code: str, nomenclature: str
) -> None:
    results = await search(snds.client, snds.staff, q=code, limit=5)
    top = results["items"][0]
    assert (top["kind"], top["name"], top["nomenclature"]) == ("code", code.upper(), nomenclature)


async def test_nomenclature_labels_are_searchable(snds: Snds) -> None:
    results = await search(snds.client, snds.staff, q="tumeur maligne vulve", kind="code", limit=3)
    assert results["items"][0]["name"] == "C51"


async def test_variables_present_over_a_period(snds: Snds) -> None:
    results = await search(
        snds.client, snds.staff, q="naissance", present_from=2015, present_to=2020, limit=200
    )
    assert results["items"]
    for hit in results["items"]:
        assert hit["kind"] == "variable"
        assert (hit["created_year"] or 0) <= 2015
        assert (hit["deleted_year"] or 9999) >= 2020


async def test_facets_count_and_filter(client: httpx.AsyncClient, make_token: TokenFactory) -> None:
    staff = bearer(make_token("catalog", "hub_staff", sub="hub_staff-1", org="hdh"))
    datasets = [
        ("registre-cancer", "Registre des cancers", "francim", ["HEAL"], "restricted"),
        (
            "cohorte-constances",
            "Cohorte de suivi des cancers",
            "inserm",
            ["HEAL", "SOCI"],
            "public",
        ),
    ]
    for slug, title, publisher, themes, access in datasets:
        body = {
            "slug": slug,
            "title": title,
            "publisher": publisher,
            "themes": themes,
            "access_rights": access,
        }
        assert (await client.post("/catalog/datasets", json=body, headers=staff)).status_code == 201
    results = await search(client, staff, q="cancers")
    assert results["total"] == 2
    facets = {
        name: {v["value"]: v["count"] for v in values} for name, values in results["facets"].items()
    }
    assert facets["publisher"] == {"francim": 1, "inserm": 1}
    assert facets["theme"] == {"HEAL": 2, "SOCI": 1}
    assert facets["access_rights"] == {"public": 1, "restricted": 1}
    filtered = await search(client, staff, q="cancer", publisher="inserm")
    assert [hit["dataset_slug"] for hit in filtered["items"]] == ["cohorte-constances"]


async def test_search_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/catalog/search", params={"q": "acte"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


async def test_an_empty_query_is_refused(
    client: httpx.AsyncClient, make_token: TokenFactory
) -> None:
    response = await client.get(
        "/catalog/search",
        params={"q": ""},
        headers=bearer(make_token("catalog", "researcher", sub="researcher-1", org="cnam")),
    )
    assert response.status_code == 422
    assert response.json()["type"] == "/problems/validation-error"


async def test_highlights_escape_producer_text_and_keep_only_their_marks(
    client: httpx.AsyncClient, make_token: TokenFactory
) -> None:
    staff = bearer(make_token("catalog", "hub_staff", sub="hub_staff-1", org="hdh"))
    body = {
        "slug": "registre-piege",
        "title": 'Registre <img src=x onerror="alert(1)"> des <b>dialyses</b> & greffes',
        "description": "Suivi des dialyses <script>alert('x')</script> \ue000en région\ue001.",
        "publisher": "francim",
    }
    assert (await client.post("/catalog/datasets", json=body, headers=staff)).status_code == 201
    (hit,) = (await search(client, staff, q="dialyses", kind="dataset"))["items"]
    for text in (hit["highlight"], hit["snippet"]):
        without_marks = text.replace("<mark>", "").replace("</mark>", "")
        assert "<" not in without_marks and ">" not in without_marks, text
        assert "<mark>dialyses</mark>" in text
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in hit["highlight"]
    assert "&amp; greffes" in hit["highlight"]
    assert hit["label"] == body["title"]  # plain text stays plain text


@pytest.mark.parametrize(
    "params", [{"q": "acte\x00"}, {"q": "\x00"}, {"q": "acte", "publisher": "cnam\x00"}]
)
async def test_a_nul_character_in_a_query_is_a_problem_not_a_crash(
    client: httpx.AsyncClient, make_token: TokenFactory, params: dict[str, str]
) -> None:
    response = await client.get(
        "/catalog/search",
        params=params,
        headers=bearer(make_token("catalog", "researcher", sub="researcher-1", org="cnam")),
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/validation-error"

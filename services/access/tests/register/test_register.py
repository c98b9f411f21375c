"""The public register: read without a login, written by the workflow and the airlock's
events, searchable and filtered, paged newest first, with nothing personal about the
researchers."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from access.calendar.legal_clock import legal_day
from hdh_dev.testing import bearer

PROBLEM = "application/problem+json"
SNDS_VARIABLES = [
    {"name": "BEN_NIR_PSA", "identifier": "national_pseudonym"},
    {"name": "BEN_NAI_ANN", "identifier": "birth_date"},
    {"name": "EXE_SOI_DTD", "event_date": True},
    {"name": "PRS_NAT_REF"},
]


async def register(hub, **params: Any) -> dict[str, Any]:
    response = await hub.client.get("/access/register", params=params)  # no token
    assert response.status_code == 200, response.text
    return dict(response.json())


async def snds_dataset(hub, title: str) -> str:
    dataset_id = str(uuid.uuid4())
    await hub.catalog_event(
        "hdh.catalog.dataset.registered.v1",
        {"dataset_id": dataset_id, "slug": f"ds-{dataset_id[:8]}", "title": title,
         "publisher": "cnam"},
    )  # fmt: skip
    await hub.catalog_event(
        "hdh.catalog.table.published.v1",
        {"dataset_id": dataset_id, "table": "ER_PRS_F", "variables": SNDS_VARIABLES},
    )
    return dataset_id


async def authorised(
    hub, *, title: str, lay_summary: str, org: str, dataset_id: str, target: str = "authorised"
) -> str:
    """A request of a project of ``org`` (filed by alice), taken to ``target``."""
    alice = bearer(hub.make_token("access", "researcher", sub="alice", org=org))
    body = {
        "title": title,
        "summary": "Scientific summary.",
        "lay_summary": lay_summary,
        "purpose": "Purpose.",
        "public_interest": "Public interest.",
    }
    project = await hub.client.post("/access/projects", json=body, headers=alice)
    assert project.status_code == 201, project.text
    variables = [
        {"table": "ER_PRS_F", "name": v["name"], "justification": "Needed."} for v in SNDS_VARIABLES
    ]
    asked = hub.request_body(project.json()["id"], dataset_id)
    asked["datasets"][0]["variables"] = variables
    request = await hub.client.post("/access/requests", json=asked, headers=alice)
    assert request.status_code == 201, request.text
    await hub.drive_to(request.json()["id"], target)
    return str(request.json()["id"])


async def test_a_line_shows_the_public_facts_of_an_authorisation(hub) -> None:
    dataset_id = await snds_dataset(hub, "SNDS — DCIR")
    rid = await authorised(
        hub,
        title="Pollution et diabète",
        lay_summary="Does polluted air make diabetes more likely?",
        org="inserm",
        dataset_id=dataset_id,
    )
    [entry] = (await register(hub))["items"]
    assert entry["request_id"] == rid
    assert entry["lay_summary"] == "Does polluted air make diabetes more likely?"
    assert entry["organisation"] == "inserm"
    assert entry["committee_opinion_reference"] == "CESREES-1"
    assert entry["regulator_decision_reference"] == "DR-2026-042"
    assert entry["datasets"] == [
        {
            "dataset_id": dataset_id,
            "title": "SNDS — DCIR",
            "tables": [{"name": "ER_PRS_F", "variables": 4}],
            "categories": ["identifier", "demographics", "event_dates", "other"],
        }
    ]
    today = legal_day(hub.clock.instant).isoformat()
    assert (entry["status"], entry["decided_on"]) == ("authorised", today)
    assert (entry["started_on"], entry["ends_on"], entry["closed_on"]) == (None, None, None)


@pytest.fixture
async def lines(hub) -> dict[str, Any]:
    """Three lines: two of inserm (one decided in 2025), one of the AP-HP on another dataset."""
    dcir = await snds_dataset(hub, "SNDS — DCIR")
    cohort = await snds_dataset(hub, "Constances cohort")
    hub.clock.instant = datetime(2025, 6, 2, 10, tzinfo=UTC)
    old = await authorised(
        hub,
        title="Pollution et diabète",
        lay_summary="L'air pollué rend-il le diabète plus fréquent ?",
        org="inserm",
        dataset_id=dcir,
    )
    hub.clock.instant = heart_at = datetime.now(UTC) - timedelta(hours=1)
    heart = await authorised(
        hub,
        title="Heart failure after surgery",
        lay_summary="Who is readmitted to hospital after heart surgery.",
        org="inserm",
        dataset_id=dcir,
    )
    hub.clock.instant = datetime.now(UTC)
    sleep = await authorised(
        hub,
        title="Sleep and work",
        lay_summary="Shift work and sleeping pills.",
        org="aphp",
        dataset_id=cohort,
    )
    return {
        "old": old,
        "heart": heart,
        "sleep": sleep,
        "dcir": dcir,
        "cohort": cohort,
        "heart_year": legal_day(heart_at).year,
    }


async def found(hub, **params: Any) -> list[str]:
    return [e["request_id"] for e in (await register(hub, **params))["items"]]


async def test_full_text_search_over_title_summary_organisation_and_dataset(hub, lines) -> None:
    assert await found(hub, q="diabete") == [lines["old"]]  # accents ignored
    assert await found(hub, q="FRÉQUENTS") == [lines["old"]]  # lay summary, stemmed
    assert await found(hub, q="readmitted hospital") == [lines["heart"]]
    assert await found(hub, q="aphp") == [lines["sleep"]]
    assert await found(hub, q="constances") == [lines["sleep"]]
    assert await found(hub, q="dcir") == [lines["heart"], lines["old"]]
    assert await found(hub, q="dcir -heart") == [lines["old"]]
    assert await found(hub, q="nothing like this") == []


async def test_filters_combine(hub, lines) -> None:
    assert await found(hub, organisation="inserm") == [lines["heart"], lines["old"]]
    assert await found(hub, dataset=lines["cohort"]) == [lines["sleep"]]
    assert await found(hub, year=2025) == [lines["old"]]
    heart_year = lines["heart_year"]
    assert await found(hub, year=heart_year, organisation="inserm") == [lines["heart"]]
    assert await found(hub, status="authorised", q="sleep") == [lines["sleep"]]
    assert await found(hub, status="active") == []
    assert await found(hub, organisation="Inserm") == []


async def test_paging_newest_first_through_every_line(hub, lines) -> None:
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = await register(hub, **params)
        seen += [e["request_id"] for e in page["items"]]
        pages += 1
        cursor = page.get("next_cursor")
        if cursor is None:
            break
    assert pages == 2
    assert seen == [lines["sleep"], lines["heart"], lines["old"]]
    first = await register(hub, organisation="inserm", limit=1)
    rest = await register(hub, organisation="inserm", limit=1, cursor=first["next_cursor"])
    assert [e["request_id"] for e in first["items"] + rest["items"]] == [
        lines["heart"],
        lines["old"],
    ]
    assert rest.get("next_cursor") is None


async def test_nothing_personal_about_the_researchers(hub) -> None:
    dataset_id = await snds_dataset(hub, "SNDS — DCIR")
    contact = await hub.client.put(
        "/access/notifications/contact",
        json={"email": "alice.martin@inserm.example"},
        headers=hub.as_("researcher", "alice"),
    )
    assert contact.status_code == 200, contact.text
    rid = await authorised(
        hub, title="t", lay_summary="l", org="inserm", dataset_id=dataset_id, target="active"
    )
    project_id = (await hub.get(rid))["project_id"]
    member = await hub.client.post(
        f"/access/projects/{project_id}/members",
        json={"subject": "bruno-7f3a", "role": "member"},
        headers=hub.as_("researcher", "alice"),
    )
    assert member.status_code == 201, member.text
    text = (await hub.client.get("/access/register")).text
    assert rid in text
    people = ["alice", "bruno-7f3a", "sam", "carl", "rita", "linkage", "@"]
    assert [p for p in people if p in text] == []
    [entry] = (await register(hub))["items"]
    assert not {"filed_by", "members", "principal_investigator", "recorded_by"} & set(entry)


@pytest.mark.parametrize(
    "params",
    [
        {"q": ""},
        {"q": "a\x00b"},
        {"q": "x" * 201},
        {"organisation": ""},
        {"dataset": "not-a-uuid"},
        {"status": "under_review"},
        {"year": "last"},
        {"year": 1999},
        {"limit": 0},
        {"limit": 201},
    ],
)
async def test_bad_query_parameters_are_problems(hub, params: dict[str, Any]) -> None:
    response = await hub.client.get("/access/register", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == "/problems/validation-error"


async def test_a_garbled_cursor_is_a_problem(hub) -> None:
    response = await hub.client.get("/access/register", params={"cursor": "garbled"})
    assert (response.status_code, response.headers["content-type"]) == (400, PROBLEM)
    assert response.json()["type"] == "/problems/invalid-cursor"

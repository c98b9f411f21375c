"""Every endpoint x every role (and another researcher) gives its documented status; the
partner system (last column) reaches nothing an internal service (``system``) does."""

import uuid
from typing import Any

import pytest

from hdh_dev.testing import bearer

# Columns: the project's researcher, another researcher, then one principal per other role.
WHO = [
    "alice",
    "mallory",
    "producer",
    "hub_staff",
    "committee_member",
    "regulator",
    "auditor",
    "system",
    "partner",
]
OPINION = {"outcome": "favourable", "reference": "C-1", "decided_on": "2026-01-05", "text": "ok"}
DECISION = {"outcome": "authorised", "reference": "DR-1", "decided_on": "2026-02-01"}
WEBHOOK = {"url": "https://partner.test/hook", "event_types": ["hdh.access.request.*"]}
MATRIX: list[tuple[str, str, Any, list[int]]] = [
    ("GET", "/access/projects", None, [200, 200, 403, 200, 403, 403, 200, 403, 403]),
    ("POST", "/access/projects", "project", [201, 201, 403, 403, 403, 403, 403, 403, 403]),
    ("GET", "/access/projects/{pid}", None, [200, 404, 404, 200, 404, 404, 200, 404, 404]),
    (
        "PATCH",
        "/access/projects/{pid}",
        {"funding": "ANR"},
        [200, 404, 404, 403, 404, 404, 403, 404, 404],
    ),
    (
        "POST",
        "/access/projects/{pid}/members",
        {"subject": "zoe", "role": "member"},
        [201, 404, 404, 403, 404, 404, 403, 404, 404],
    ),
    ("GET", "/access/requests", None, [200, 200, 403, 200, 200, 200, 200, 200, 200]),
    ("POST", "/access/requests", "request", [201, 404, 403, 403, 403, 403, 403, 403, 403]),
    ("GET", "/access/requests/{rid}", None, [200, 404, 404, 200, 200, 200, 200, 200, 404]),
    (
        "GET",
        "/access/requests/{rid}/transitions",
        None,
        [200, 404, 404, 200, 200, 200, 200, 200, 404],
    ),
    (
        "POST",
        "/access/requests/{rid}/transitions",
        {"transition": "authorise", "version": 1},
        [403, 404, 404, 403, 403, 409, 403, 403, 404],
    ),
    (
        "POST",
        "/access/requests/{rid}/transitions",
        {"transition": "forward_to_regulator", "version": 99},
        [403, 404, 404, 409, 403, 403, 403, 403, 404],
    ),
    (
        "POST",
        "/access/requests/{rid}/opinions",
        OPINION,
        [403, 404, 404, 403, 201, 403, 403, 403, 404],
    ),
    (
        "POST",
        "/access/requests/{rid}/decisions",
        DECISION,
        [403, 404, 404, 403, 403, 409, 403, 403, 404],
    ),
    ("GET", "/access/requests/{rid}/records", None, [200, 404, 404, 200, 200, 200, 200, 200, 404]),
    (
        "POST",
        "/access/requests/{rid}/messages",
        {"body": "?"},
        [201, 404, 404, 201, 201, 403, 403, 403, 404],
    ),
    ("GET", "/access/requests/{rid}/messages", None, [200, 404, 404, 200, 200, 200, 200, 200, 404]),
    (
        "GET",
        "/access/requests/{rid}/documents",
        None,
        [200, 404, 404, 200, 200, 200, 200, 200, 404],
    ),
    ("GET", "/access/grants", None, [200, 200, 403, 200, 403, 403, 200, 200, 403]),
    (
        "GET",
        "/access/grants/{gid}/readers/alice",
        None,
        [403, 403, 403, 403, 403, 403, 403, 200, 403],
    ),
    ("POST", "/access/grants/expiry-sweep", None, [403, 403, 403, 200, 403, 403, 403, 200, 403]),
    ("GET", "/access/stats", None, [403, 403, 403, 200, 403, 403, 200, 403, 403]),
    ("GET", "/access/register", None, [200, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/access/workflow", None, [200, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("POST", "/access/webhooks", WEBHOOK, [403, 403, 403, 403, 403, 403, 403, 403, 201]),
    ("GET", "/access/webhooks", None, [403, 403, 403, 403, 403, 403, 403, 403, 200]),
    (
        "PUT",
        "/access/notifications/contact",
        {"email": "someone@lab.test"},
        [200, 200, 200, 200, 200, 200, 200, 403, 403],
    ),
    (
        "GET",
        "/access/notifications/contact",
        None,
        [200, 200, 200, 200, 200, 200, 200, 403, 403],
    ),
]
PUBLIC = {"/access/register", "/access/workflow"}
PARTNERS_OWN = {
    ("GET", "/access/requests"),
    ("GET", "/access/webhooks"),
    ("POST", "/access/webhooks"),
}


def headers(hub, who: str) -> dict[str, str]:
    if who in ("alice", "mallory"):
        return hub.as_("researcher", who)
    return hub.as_(who, f"{who}-1")


@pytest.fixture
async def world(hub) -> dict[str, Any]:
    request = await hub.draft("alice")
    await hub.project("mallory")
    await hub.drive_to(request["id"], "committee_review")
    dataset_id = request["datasets"][0]["dataset_id"]
    return {
        "pid": request["project_id"],
        "rid": request["id"],
        "dataset_id": dataset_id,
        "gid": str(uuid.uuid4()),
    }


async def test_role_matrix(hub, world: dict[str, Any]) -> None:
    failures = []
    for method, path, body, expected in MATRIX:
        if body == "project":
            body = {
                "title": "t",
                "summary": "s",
                "lay_summary": "l",
                "purpose": "p",
                "public_interest": "i",
            }
        elif body == "request":
            body = hub.request_body(world["pid"], world["dataset_id"])
        url = path.format(**world)
        for who, status in zip(WHO, expected, strict=True):
            response = await hub.client.request(method, url, json=body, headers=headers(hub, who))
            if response.status_code != status:
                failures.append(f"{method} {path} as {who}: {response.status_code} != {status}")
            if response.status_code >= 400:
                assert response.headers["content-type"] == "application/problem+json"
    assert failures == []


async def test_no_token_is_401_except_public_routes(hub, world: dict[str, Any]) -> None:
    for method, path, _, _ in MATRIX:
        response = await hub.client.request(method, path.format(**world))
        assert response.status_code == (200 if path in PUBLIC else 401), path


def test_the_partner_reaches_nothing_an_internal_service_does() -> None:
    """Besides the public routes, a partner only lists its organisation's requests and
    manages its organisation's webhooks."""
    partner = WHO.index("partner")
    for method, path, _, expected in MATRIX:
        if path not in PUBLIC and (method, path) not in PARTNERS_OWN:
            assert expected[partner] >= 400, (method, path)


async def test_a_partner_follows_its_organisations_filed_requests_only(hub) -> None:
    filed = await hub.draft("alice")
    await hub.drive_to(filed["id"], "submitted")
    await hub.draft("alice")  # a draft: not the partner's to see
    elsewhere = await hub.client.post(
        "/access/projects",
        json={
            "title": "t",
            "summary": "s",
            "lay_summary": "l",
            "purpose": "p",
            "public_interest": "i",
        },
        headers=bearer(hub.make_token("access", "researcher", org="other")),
    )
    assert elsewhere.status_code == 201, elsewhere.text

    def partner(org: str) -> dict[str, str]:
        return bearer(hub.make_token("access", "partner", sub="p", org=org))

    listed = await hub.client.get("/access/requests", headers=partner("org"))
    assert [r["id"] for r in listed.json()["items"]] == [filed["id"]]
    other = await hub.client.get("/access/requests", headers=partner("other"))
    assert other.json()["items"] == []
    for part in ("", "/documents", "/messages", "/records"):
        response = await hub.client.get(
            f"/access/requests/{filed['id']}{part}", headers=partner("org")
        )
        assert response.status_code == 404, (part, response.text)

"""Text Postgres cannot store (NUL, lone surrogates) and garbled cursors are refused as
malformed input with a stable problem type, never a 500."""

import base64
import json
from typing import Any

import pytest

NUL = "a\x00b"
SURROGATE = "a\ud800b"
OPINION = {"outcome": "favourable", "reference": "C", "decided_on": "2026-01-05", "text": "t"}
PROJECT = {"title": "t", "summary": "s", "lay_summary": "l", "purpose": "p", "public_interest": "i"}


@pytest.fixture
async def world(hub) -> dict[str, Any]:
    request = await hub.draft()
    await hub.drive_to(request["id"], "committee_review")
    return {"rid": request["id"], "pid": request["project_id"], "request": request}


def cases(world: dict[str, Any], bad: str) -> list[tuple[str, str, str, dict[str, Any]]]:
    rid, pid = world["rid"], world["pid"]
    variables = [{"table": "patients", "name": "age", "justification": bad}]
    datasets = [
        {"dataset_id": world["request"]["datasets"][0]["dataset_id"]} | {"variables": variables}
    ]
    return [
        ("researcher", "POST", "/access/projects", PROJECT | {"title": bad}),
        ("researcher", "POST", "/access/projects", PROJECT | {"public_interest": bad}),
        ("researcher", "PATCH", f"/access/projects/{pid}", {"funding": bad}),
        (
            "researcher",
            "POST",
            f"/access/projects/{pid}/members",
            {"subject": bad, "role": "member"},
        ),
        (
            "researcher",
            "POST",
            "/access/requests",
            {
                "project_id": pid,
                "datasets": datasets,
                "period_start": "2015-01-01",
                "period_end": "2016-01-01",
                "expected_duration_months": 2,
                "legal_basis": {"kind": "cnil_authorisation"},
            },
        ),
        ("committee_member", "POST", f"/access/requests/{rid}/opinions", OPINION | {"text": bad}),
        (
            "committee_member",
            "POST",
            f"/access/requests/{rid}/opinions",
            OPINION | {"reference": bad},
        ),
        ("committee_member", "POST", f"/access/requests/{rid}/conflicts", {"statement": bad}),
        ("hub_staff", "POST", f"/access/requests/{rid}/messages", {"body": bad}),
        (
            "researcher",
            "POST",
            f"/access/requests/{rid}/transitions",
            {"transition": "withdraw", "version": 99, "reason": bad},
        ),
    ]


@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "surrogate"])
async def test_unstorable_text_is_422(hub, world: dict[str, Any], bad: str) -> None:
    failures = []
    for role, method, url, body in cases(world, bad):
        sub = "alice" if role == "researcher" else f"{role}-1"
        response = await hub.client.request(
            method,
            url,
            content=json.dumps(body),  # ensure_ascii: the escapes go over the wire as JSON
            headers=hub.as_(role, sub) | {"Content-Type": "application/json"},
        )
        if response.status_code != 422 or response.json()["type"] != "/problems/validation-error":
            failures.append((method, url, response.status_code))
    assert failures == []
    assert (await hub.get(world["rid"]))["state"] == "committee_review"


async def test_unstorable_query_text_is_422(hub, world: dict[str, Any]) -> None:
    for role in ("researcher", "hub_staff"):
        response = await hub.client.get(
            "/access/requests", params={"state": NUL}, headers=hub.as_(role, "alice")
        )
        assert response.status_code == 422, response.text
        assert response.json()["type"] == "/problems/validation-error"
    upload = await hub.client.post(
        f"/access/requests/{world['rid']}/documents",
        params={"kind": "other", "filename": NUL},
        content=b"%PDF",
        headers=hub.as_("researcher", "alice") | {"Content-Type": "application/pdf"},
    )
    assert upload.status_code == 422, upload.text


def cursor(values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


ID = "6f1c1a0e-8a4b-4c57-9d0e-2f7a4f6c1b11"
GARBLED = [
    "!!!",
    "é",
    cursor("not a list"),
    cursor([1, 2]),
    cursor(["2026-01-01T00:00:00+00:00", 5]),
    cursor(["2026-01-01T00:00:00+00:00", [ID]]),
    cursor(["2026-01-01T00:00:00+00:00", "not-a-uuid"]),
    cursor(["9999-12-31T23:59:59-14:00", ID]),
    cursor(["0001-01-01T00:00:00+14:00", ID]),
    cursor(["2026-01-01T00:00:00", ID]),
    cursor(["2026-02-30T00:00:00+00:00", ID]),
    base64.urlsafe_b64encode(b"\xff\xfe[").decode(),
    "[" * 300,
]
LISTS = ["/access/projects", "/access/requests", "/access/grants", "/access/register"]
REQUEST_LISTS = ["messages", "records", "transitions"]


async def test_garbled_or_out_of_range_cursors_are_400(hub, world) -> None:
    failures = []
    for url in LISTS + [f"/access/requests/{world['rid']}/{name}" for name in REQUEST_LISTS]:
        for bad in GARBLED:
            response = await hub.client.get(
                url, params={"cursor": bad}, headers=hub.as_("hub_staff", "sam")
            )
            if response.status_code != 400 or response.json()["type"] != "/problems/invalid-cursor":
                failures.append((url, bad, response.status_code))
    assert failures == []


async def test_a_cursor_of_the_api_still_pages(hub) -> None:
    for sub in ("alice", "bob", "carol"):
        await hub.project(sub)
    staff = hub.as_("hub_staff", "sam")
    first = (await hub.client.get("/access/projects", params={"limit": 2}, headers=staff)).json()
    rest = await hub.client.get(
        "/access/projects", params={"limit": 2, "cursor": first["next_cursor"]}, headers=staff
    )
    assert rest.status_code == 200 and len(first["items"]) + len(rest.json()["items"]) == 3

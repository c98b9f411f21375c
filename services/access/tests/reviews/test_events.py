"""What an auditor looks for on a request's file is an event, written with the change: a
document uploaded, a message sent, a conflict declared. Free text stays in the service."""

import hashlib
from typing import Any

import sqlalchemy as sa

PDF = b"%PDF-1.4 the protocol"


async def events_of(hub, request_id: str, prefix: str) -> list[dict[str, Any]]:
    async with hub.engine.connect() as connection:
        rows = await connection.scalars(
            sa.text(
                "SELECT payload FROM access.outbox WHERE key = :rid"
                " AND payload->>'type' LIKE :prefix ORDER BY id"
            ),
            {"rid": request_id, "prefix": f"{prefix}%"},
        )
        return list(rows)


async def test_uploads_messages_and_conflicts_are_events(hub) -> None:
    request = await hub.draft()
    rid = request["id"]
    await hub.drive_to(rid, "committee_review")
    document = (await hub.upload(rid, "other", content=PDF)).json()
    message = await hub.record(rid, "messages", {"body": "Secret question."}, "hub_staff", "sam")
    statement = {"statement": "My co-author."}
    assert (await hub.record(rid, "conflicts", statement, "committee_member", "carl")).is_success
    *_, uploaded = await events_of(hub, rid, "hdh.access.document.")
    [sent] = await events_of(hub, rid, "hdh.access.message.")
    [declared] = await events_of(hub, rid, "hdh.access.conflict.")
    assert (uploaded["type"], uploaded["actor"], uploaded["data"]) == (
        "hdh.access.document.uploaded.v1",
        "alice",
        {
            "document_id": document["id"],
            "request_id": rid,
            "kind": "other",
            "version": 1,
            "size": len(PDF),
            "sha256": hashlib.sha256(PDF).hexdigest(),
        },
    )
    assert (sent["type"], sent["actor"], sent["data"]) == (
        "hdh.access.message.sent.v1",
        "sam",
        {"message_id": message.json()["id"], "request_id": rid, "author_role": "hub_staff"},
    )
    assert (declared["type"], declared["actor"], declared["data"]) == (
        "hdh.access.conflict.declared.v1",
        "carl",
        {"request_id": rid, "subject": "carl"},
    )
    texts = str([uploaded, sent, declared])
    assert "Secret question." not in texts and "My co-author." not in texts


async def test_a_refused_upload_writes_no_event(hub) -> None:
    request = await hub.draft()
    rid = request["id"]
    refused = await hub.upload(rid, "other", role="researcher", sub="mallory")
    assert refused.status_code in (403, 404)
    assert await events_of(hub, rid, "hdh.access.document.") == []


async def test_a_rejection_is_denied_and_an_opinion_is_a_decision_not_an_outcome(hub) -> None:
    request = await hub.draft()
    rid = request["id"]
    await hub.drive_to(rid, "committee_review")
    opinion = {
        "outcome": "unfavourable",
        "reference": "C-1",
        "decided_on": "2026-01-05",
        "text": "Not of public interest.",
    }
    assert (await hub.record(rid, "opinions", opinion, "committee_member", "carl")).is_success
    await hub.ok(rid, "reject", "committee_member", "cora", reason="Not of public interest.")
    [recorded] = await events_of(hub, rid, "hdh.access.opinion.")
    moves = await events_of(hub, rid, "hdh.access.request.")
    assert recorded["data"]["decision"] == "unfavourable" and "outcome" not in recorded["data"]
    assert [m["data"]["outcome"] for m in moves if m["type"].endswith(".rejected.v1")] == ["denied"]
    assert {m["data"]["outcome"] for m in moves if not m["type"].endswith(".rejected.v1")} == {None}

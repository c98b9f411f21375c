"""The due date across French holidays, and the pause while the applicant completes the file."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

PARIS = ZoneInfo("Europe/Paris")


async def test_clock_counts_business_days_and_pauses_for_the_applicant(hub) -> None:
    request = await hub.draft()
    rid = request["id"]
    hub.clock.instant = datetime(2026, 4, 30, 10, tzinfo=PARIS)
    submitted = (await hub.drive_to(rid, "submitted"), await hub.get(rid))[1]
    assert submitted["due_on"] == "2026-05-19"  # 10 business days over 1 May, 8 May, Ascension

    hub.clock.instant = datetime(2026, 5, 6, 10, tzinfo=PARIS)
    paused = await hub.ok(rid, "request_info", "hub_staff", "sam", reason="Protocol v2 please.")
    assert paused["clock_paused"] and paused["paused_days_left"] == 7
    assert paused["due_on"] == "2026-06-08"  # the applicant's 20 business days (Whit Monday)

    hub.clock.instant = datetime(2026, 6, 1, 10, tzinfo=PARIS)
    resumed = await hub.ok(rid, "resubmit", "researcher", "alice")
    assert not resumed["clock_paused"]
    assert resumed["due_on"] == "2026-06-10"  # the 7 days left, counted from the resubmission

    hub.clock.instant = datetime(2026, 6, 2, 10, tzinfo=PARIS)
    admissible = await hub.ok(rid, "declare_admissible", "hub_staff", "sam")
    assert admissible["due_on"] == "2026-09-02"  # decision: 65 business days (14 July, 15 August)


async def test_overdue_listing_and_stats(hub) -> None:
    late, on_time = await hub.draft(), await hub.draft("bob")
    hub.clock.instant = datetime(2026, 3, 2, 10, tzinfo=PARIS)
    await hub.drive_to(late["id"], "submitted")
    hub.clock.instant = datetime(2026, 3, 30, 10, tzinfo=PARIS)
    for kind in ("protocol", "data_management_plan"):
        await hub.upload(on_time["id"], kind, sub="bob")
    await hub.ok(on_time["id"], "submit", "researcher", "bob")
    overdue = await hub.client.get(
        "/access/requests", params={"overdue": "true"}, headers=hub.as_("hub_staff")
    )
    assert [r["id"] for r in overdue.json()["items"]] == [late["id"]]
    forbidden = await hub.client.get(
        "/access/requests", params={"overdue": "true"}, headers=hub.as_("researcher", "alice")
    )
    assert forbidden.status_code == 403

    await hub.ok(late["id"], "declare_admissible", "hub_staff", "sam")
    stats = (await hub.client.get("/access/stats", headers=hub.as_("auditor"))).json()
    assert stats["per_state"] == {"admissible": 1, "submitted": 1}
    assert stats["overdue"] == 0
    [step] = stats["steps"]
    assert step["state"] == "submitted" and step["count"] == 1
    assert step["median_days"] == pytest.approx(28 - 1 / 24)  # summer time began on 29 March
    assert (await hub.client.get("/access/stats", headers=hub.as_("researcher"))).status_code == 403

"""The transitions table itself: the design's graph, and served as documentation."""

from access.workflow.machine import TRANSITIONS, State, edges

DESIGN = {
    ("draft", "submitted"),
    ("submitted", "info_requested"),
    ("info_requested", "submitted"),
    ("submitted", "admissible"),
    ("admissible", "committee_review"),
    ("committee_review", "committee_review"),
    ("committee_review", "regulator_review"),
    ("regulator_review", "authorised"),
    ("committee_review", "authorised"),
    ("authorised", "agreement_signed"),
    ("agreement_signed", "data_preparation"),
    ("data_preparation", "active"),
    ("data_preparation", "preparation_failed"),
    ("preparation_failed", "data_preparation"),
    ("active", "closed"),
    ("committee_review", "rejected"),
    ("regulator_review", "rejected"),
} | {
    (s, "withdrawn")
    for s in (
        "draft",
        "submitted",
        "info_requested",
        "admissible",
        "committee_review",
        "regulator_review",
        "authorised",
        "agreement_signed",
        "data_preparation",
        "preparation_failed",
    )
}


def test_the_table_is_the_designs_graph() -> None:
    assert {(a.value, b.value) for a, b in edges()} == DESIGN
    assert {State.CLOSED, State.REJECTED, State.WITHDRAWN}.isdisjoint(
        s for t in TRANSITIONS.values() for s in t.sources
    )


def test_events_are_named_after_the_transition() -> None:
    for transition in TRANSITIONS.values():
        assert transition.event_type.startswith("hdh.access.request.")
        assert transition.event_type.endswith(".v1")
    assert len({t.event_type for t in TRANSITIONS.values()}) == len(TRANSITIONS)


async def test_the_table_is_served(hub) -> None:
    response = await hub.client.get("/access/workflow")
    assert response.status_code == 200
    assert response.json()["next_cursor"] is None
    rows = {row["name"]: row for row in response.json()["items"]}
    assert rows["authorise"]["roles"] == ["regulator"]
    assert rows["authorise"]["relation"] == "independent"
    assert rows["withdraw"]["reason_required"] is True
    assert rows["submit"]["guard"] == "documents present: protocol, data_management_plan"
    assert rows["request_info"]["clock"] == "pause_for_applicant"
    assert rows["activate"]["event"] == "hdh.access.request.activated.v1"

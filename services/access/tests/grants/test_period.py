"""Issue 18, the period: the grant names each table's event dates, the columns the extract
applies the period to; a table with none is granted whole, and the grant says so."""

import uuid

from .test_lifecycle import grant_events


async def test_the_grant_names_the_event_dates_the_period_applies_to(hub) -> None:
    dataset_id = str(uuid.uuid4())
    await hub.catalog_event(
        "hdh.catalog.dataset.registered.v1",
        {"dataset_id": dataset_id, "slug": "snds", "title": "SNDS", "publisher": "cnam"},
    )
    tables = {
        "ER_PRS_F": [("BEN_NIR_PSA", False), ("EXE_SOI_DTD", True), ("PRS_PAI_MNT", False)],
        "IR_BEN_R": [("BEN_NIR_PSA", False), ("BEN_NAI_ANN", False)],
    }
    for table, variables in tables.items():
        await hub.catalog_event(
            "hdh.catalog.table.published.v1",
            {
                "dataset_id": dataset_id,
                "table": table,
                "variables": [{"name": n, "event_date": flag} for n, flag in variables],
            },
        )
    project = await hub.project()
    asked = [("ER_PRS_F", "PRS_PAI_MNT"), ("IR_BEN_R", "BEN_NAI_ANN")]
    body = hub.request_body(project["id"], dataset_id) | {
        "datasets": [
            {
                "dataset_id": dataset_id,
                "variables": [
                    {"table": t, "name": n, "justification": "Needed."} for t, n in asked
                ],
            }
        ],
        "period_start": "2024-01-01",
        "period_end": "2024-12-31",
    }
    created = await hub.client.post(
        "/access/requests", json=body, headers=hub.as_("researcher", "alice")
    )
    assert created.status_code == 201, created.text
    await hub.drive_to(created.json()["id"], "data_preparation")
    [issued] = await grant_events(hub)
    data = issued["data"]
    assert (data["period_start"], data["period_end"]) == ("2024-01-01", "2024-12-31")
    [granted] = data["datasets"]
    # the care date filters rows though it was not asked for; the referential comes whole
    assert granted["event_dates"] == {"ER_PRS_F": ["EXE_SOI_DTD"], "IR_BEN_R": []}

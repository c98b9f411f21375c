"""Acceptance 1 of issue 18: a grant limited to 2024 yields only 2024 rows; a table with no
event date is granted whole."""

import io
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hdh_common.storage import ObjectStore, create_object_store
from hdh_dev.testing import SettingsFactory, eventually, running
from linkage.events import GrantIssued
from linkage.extracts import service as extracts
from linkage.jobs.pipeline import Outcome, Period, PipelineError, _inside
from linkage.main import create_app

from ..jobs.test_router import job_states, read_object
from ..support import VALID_NIRS, catalogue_validated, in_transaction, land
from .test_build import rows

DAYS = [
    date(2023, 12, 31),
    date(2024, 1, 1),
    date(2024, 12, 31),
    date(2025, 1, 1),
    None,
    date(2024, 6, 30),
]
INSIDE_2024 = ["A1", "A2", "A5"]
COLUMNS = [
    {"name": "NIR", "identifier": "nir"},
    {"name": "ACTE", "identifier": "none"},
    {"name": "SOIN_DTD", "identifier": "none"},
]


def care_table() -> pa.Table:
    return pa.table(
        {
            "NIR": [*VALID_NIRS, VALID_NIRS[0]],
            "ACTE": [f"A{i}" for i in range(len(DAYS))],
            "SOIN_DTD": pa.array(DAYS, pa.date32()),
        }
    )


async def validated(url: str, store: ObjectStore, table: str) -> dict[str, Any]:
    data = {
        "dataset_id": str(uuid.uuid4()),
        "version_id": str(uuid.uuid4()),
        "table": table,
        "object_key": await land(store, care_table()),
        "columns": COLUMNS,
    }
    await catalogue_validated(url, data)
    return data


def issued(care: dict[str, Any], referential: dict[str, Any]) -> GrantIssued:
    def granted(data: dict[str, Any], event_dates: list[str]) -> dict[str, Any]:
        names = ["NIR", "ACTE"]
        return {
            "dataset_id": data["dataset_id"],
            "variables": [{"table": data["table"], "name": n} for n in names],
            "event_dates": {data["table"]: event_dates},
        }

    return GrantIssued.model_validate(
        {
            "grant_id": str(uuid.uuid4()),
            "request_id": str(uuid.uuid4()),
            "project_id": str(uuid.uuid4()),
            "datasets": [granted(care, ["SOIN_DTD"]), granted(referential, [])],
            "members": ["rita"],
            "period_start": "2024-01-01",
            "period_end": "2024-12-31",
            "expires_on": (date.today() + timedelta(days=30)).isoformat(),
        }
    )


async def test_a_grant_limited_to_2024_yields_only_2024_rows_and_a_table_without_event_date_whole(
    linkage_settings: SettingsFactory, clean_database: str
) -> None:
    reports = await extract_limited_to_2024(linkage_settings(), clean_database)
    assert {(r["engine"], r["executors"]) for r in reports} == {("embedded", 1)}


async def extract_limited_to_2024(settings: Any, clean_database: str) -> list[dict[str, Any]]:
    """The grant's jobs run by ``settings``' engine, checked; their reports."""
    store = create_object_store(settings)
    care = await validated(clean_database, store, "CARE")
    referential = await validated(clean_database, store, "REFERENTIAL")

    async def settled() -> bool:
        states = await job_states(clean_database)
        return len(states) == 3 and not {"queued", "running"} & set(states)

    async with running(create_app(settings)):
        grant = issued(care, referential)
        await in_transaction(
            clean_database, lambda session: extracts.grant_issued(session, grant, actor="access")
        )
        await eventually(settled)
    assert set(await job_states(clean_database)) == {"succeeded"}
    files = await rows(
        clean_database,
        "SELECT json_build_object('table', table_name, 'key', object_key, 'rows', rows)"
        " FROM linkage.extract_file",
    )
    by_table = {f["table"]: f for f in files}
    care_rows = await extract_rows(store, by_table["CARE"]["key"])
    assert sorted(care_rows["ACTE"]) == INSIDE_2024  # 2023-12-31, 2025-01-01 and no date: out
    assert set(care_rows) == {"NIR", "ACTE"}  # the event date filters without being handed out
    assert by_table["CARE"]["rows"] == len(INSIDE_2024)
    whole = await extract_rows(store, by_table["REFERENTIAL"]["key"])
    assert sorted(whole["ACTE"]) == [f"A{i}" for i in range(len(DAYS))]
    [report] = await rows(clean_database, "SELECT report FROM linkage.job WHERE kind = 'extract'")
    assert report["outside_period"] == len(DAYS) - len(INSIDE_2024)
    reports: list[dict[str, Any]] = await rows(clean_database, "SELECT report FROM linkage.job")
    return reports


async def extract_rows(store: ObjectStore, key: str) -> dict[str, list[Any]]:
    content = await read_object(store, "projects", key)
    return dict(pq.read_table(io.BytesIO(content)).to_pydict())


def at_night(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(23, 59))


PERIOD = Period(start=date(2024, 1, 1), end=date(2024, 12, 31), columns=("DTD", "DTF"))


@pytest.mark.parametrize(
    ("values", "kept"),
    [
        (pa.array(DAYS, pa.date32()), [1, 2, 5]),
        (pa.array([None if d is None else f"{d}T10:00" for d in DAYS]), [1, 2, 5]),
        (pa.array([at_night(d) for d in DAYS], pa.timestamp("s")), [1, 2, 5]),
    ],
    ids=["date", "iso-text", "timestamp"],
)
def test_a_row_is_kept_when_one_of_its_event_dates_is_inside_the_period(
    values: pa.Array, kept: list[int]
) -> None:
    ends = pa.array([date(2024, 1, 2), None, None, None, None, None], pa.date32())
    batch = pa.RecordBatch.from_arrays(
        [pa.array(range(len(DAYS))), values, ends], names=["I", "DTD", "DTF"]
    )
    outcome = Outcome()
    inside = _inside(batch, PERIOD, table="T", outcome=outcome)
    assert inside.column("I").to_pylist() == [0, *kept]  # row 0: its end date is inside
    assert outcome.outside_period == len(DAYS) - 1 - len(kept)


def test_an_event_date_that_is_no_date_fails_the_extract() -> None:
    batch = pa.RecordBatch.from_arrays(
        [pa.array(["31/12/2024"]), pa.array([None], pa.date32())], names=["DTD", "DTF"]
    )
    with pytest.raises(PipelineError, match="event date DTD does not hold ISO dates"):
        _inside(batch, PERIOD, table="T", outcome=Outcome())

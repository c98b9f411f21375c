"""Foreign keys between the tables of one version, through the upload API: a stay's patient is
looked up in the latest validated version of the patients' table."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from catalog.uploads.references import ForeignKey, TableKeys, check
from catalog.uploads.validator import Report, Rows

from .hub import Hub, csv_bytes, good_rows

STAY = {
    "name": "SEJOUR",
    "title": "Séjours",
    "primaryKey": "SEJ_ID",
    "fields": [
        {"name": "SEJ_ID", "type": "string"},
        {"name": "PAT_ID", "type": "string"},
        {"name": "TRANSFERT", "type": "string"},
    ],
    "foreignKeys": [
        {"fields": "PAT_ID", "reference": {"resource": "PATIENT", "fields": "PAT_ID"}},
        {"fields": "TRANSFERT", "reference": {"resource": "", "fields": "SEJ_ID"}},
    ],
}
STAY_HEADER = ["SEJ_ID", "PAT_ID", "TRANSFERT"]


async def add_stays(hub: Hub) -> None:
    imported = await hub.client.post(
        "/catalog/import/table-schema",
        params={"dataset_id": hub.dataset_id},
        json=STAY,
        headers=hub.staff,
    )
    assert imported.status_code == 200, imported.text


async def send_stays(hub: Hub, rows: list[list[Any]]) -> dict[str, Any]:
    response = await hub.send(csv_bytes(rows, header=STAY_HEADER), table="SEJOUR")
    assert response.status_code == 202, response.text
    version: dict[str, Any] = response.json()
    return version


async def report_of(hub: Hub, version: dict[str, Any]) -> dict[str, Any]:
    response = await hub.client.get(
        hub.url(f"/versions/{version['id']}/report"), headers=hub.producer
    )
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def stays(count: int) -> list[list[Any]]:
    """Stays of patients P00000..P00004; every third one a transfer from the stay before."""
    return [
        [f"S{i:03d}", f"P{i % 5:05d}", f"S{i - 1:03d}" if i % 3 == 2 else ""] for i in range(count)
    ]


async def test_a_stay_of_a_patient_missing_from_the_patients_version_is_rejected(
    hub: Hub,
) -> None:
    await add_stays(hub)
    patients = await hub.send(csv_bytes(good_rows(5)))
    assert patients.json()["status"] == "validated"
    rows = stays(30)
    rows[4][1] = "P99999"  # row 6: no such patient
    for row in rows[10:22]:  # rows 12..23: twelve more, beyond what is listed for one rule
        row[1] = "P77777"
    rows[25][1] = ""  # missing: not checked
    rows[26][2] = "S999"  # row 28: a transfer from no stay of the file (a self-reference)

    version = await send_stays(hub, rows)

    assert version["status"] == "rejected"
    assert hub.objects(hub.landing) == [
        f"validated/{hub.dataset_id}/PATIENT/v00001.parquet"  # the stays' was not kept
    ]
    report = await report_of(hub, version)
    keys = [e for e in report["errors"] if e["type"] == "foreign-key"]
    assert [(e["row"], e["column"], e["value"]) for e in keys] == [
        (6, "PAT_ID", "P99999"),
        *[(row, "PAT_ID", "P77777") for row in range(12, 21)],  # ten listed for the rule
        (28, "TRANSFERT", "S999"),
    ]
    assert {e["rule"] for e in keys} == {"reference:PATIENT", "reference:SEJOUR"}
    assert report["counts"] == {"reference:PATIENT:PAT_ID": 13, "reference:SEJOUR:TRANSFERT": 1}
    assert report["omitted"] == {"reference:PATIENT:PAT_ID": 3}
    assert report["error_count"] == 14

    fixed = stays(30)
    fixed[25][1] = ""
    assert (await send_stays(hub, fixed))["status"] == "validated"


async def test_a_stay_sent_before_any_patients_version_is_rejected_naming_the_table(
    hub: Hub,
) -> None:
    await add_stays(hub)
    version = await send_stays(hub, stays(6))
    assert version["status"] == "rejected"
    report = await report_of(hub, version)
    assert [(e["type"], e["rule"], e["row"], e["column"]) for e in report["errors"]] == [
        ("foreign-key", "reference:PATIENT", None, "PAT_ID")
    ]
    assert "PATIENT.PAT_ID is not in this version" in report["errors"][0]["value"]
    # the patients validated, the same stays are taken: the later version is the one looked up
    await hub.send(csv_bytes(good_rows(5)))
    assert (await send_stays(hub, stays(6)))["status"] == "validated"


async def test_the_patients_looked_up_are_those_of_their_latest_validated_version(
    hub: Hub,
) -> None:
    await add_stays(hub)
    await hub.send(csv_bytes(good_rows(5)))
    rejected = await hub.send(csv_bytes(good_rows(3)) + b"P00003,7,x,y\n")
    assert rejected.json()["status"] == "rejected"
    assert (await send_stays(hub, stays(6)))["status"] == "validated"  # P00003 still known
    await hub.send(csv_bytes(good_rows(3)))
    version = await send_stays(hub, stays(6))
    report = await report_of(hub, version)
    assert [(e["row"], e["value"]) for e in report["errors"]] == [(5, "P00003"), (6, "P00004")]


async def test_a_reference_to_fields_the_table_lacks_is_refused_at_import(hub: Hub) -> None:
    wrong = STAY | {
        "foreignKeys": [
            {"fields": "PAT_ID", "reference": {"resource": "PATIENT", "fields": "NOPE"}},
            {"fields": "TRANSFERT", "reference": {"resource": "", "fields": "AUCUN"}},
            {"fields": "PAT_ID", "reference": {"resource": "AUTRE", "fields": "PAT_ID"}},
        ]
    }
    response = await hub.client.post(
        "/catalog/import/table-schema",
        params={"dataset_id": hub.dataset_id},
        json=wrong,
        headers=hub.staff,
    )
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "/problems/invalid-table-schema"
    assert [e["msg"] for e in body["errors"]] == [
        "NOPE not a field of 'PATIENT'.",
        "AUCUN not a field of 'SEJOUR'.",
        "'AUTRE' is neither in the package nor the dataset.",
    ]


MIB = 2**20
KEYS = 4_000_000
BLOCK = 100_000


def peak_growth(work: Callable[[], None]) -> int:
    """How far the process's resident set rose above where it stood before ``work``."""

    def status(field: str) -> int:
        lines = Path("/proc/self/status").read_text().splitlines()
        return int(next(line for line in lines if line.startswith(field)).split()[1]) * 1024

    Path("/proc/self/clear_refs").write_text("5")  # resets the peak (VmHWM) to the present
    before = status("VmRSS:")
    work()
    return status("VmHWM:") - before


def key_block(start: int, *, shift: bool = False) -> pa.Array:
    numbers = np.arange(start, start + BLOCK, dtype=np.int64)
    if shift:  # one key in a thousand points past the last one
        numbers = np.where(numbers % 1000 == 999, numbers + KEYS, numbers)
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), 11, "0")
    return pc.binary_join_element_wise("K", digits, "")


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="reads Linux /proc")
def test_keys_are_collected_and_looked_up_in_bounded_memory(tmp_path: Path) -> None:
    """Four million keys on each side (some 150 MiB of keys and rows): each step stays far
    below what holding them would take."""
    fk = ForeignKey(("PAT",), "PATIENT", ("ID",))

    def tables(folder: Path) -> tuple[TableKeys, TableKeys]:
        parent = TableKeys("PATIENT", folder / "parent", referenced=[("ID",)])
        return parent, TableKeys("SEJOUR", folder / "child", outgoing=[fk])

    parent, child = tables(tmp_path / "warm-up")  # the allocator's arenas, once
    collect(parent, child, BLOCK)
    check({"PATIENT": parent, "SEJOUR": child}, {"SEJOUR": Report(max_errors=100)})

    parent, child = tables(tmp_path)
    report = Report(max_errors=100, per_rule=10)
    collected = peak_growth(lambda: collect(parent, child, KEYS))
    checked = peak_growth(lambda: check({"PATIENT": parent, "SEJOUR": child}, {"SEJOUR": report}))

    assert report.counts == {"reference:PATIENT:PAT": KEYS // 1000}
    assert [e["row"] for e in report.errors] == [1001 + 1000 * i for i in range(10)]
    assert report.errors[0]["value"] == f"K{KEYS + 999:011d}"
    assert collected < 64 * MIB, collected // MIB
    assert checked < 64 * MIB, checked // MIB


def collect(parent: TableKeys, child: TableKeys, keys: int) -> None:
    """The patients' keys and the stays' references, as the validator hands them over."""
    for start in range(0, keys, BLOCK):
        batch = pa.record_batch([key_block(start)], names=["ID"])
        parent.add({"ID": batch.column(0)}, Rows(batch, start + 2))
        batch = pa.record_batch([key_block(start, shift=True)], names=["PAT"])
        child.add({"PAT": batch.column(0)}, Rows(batch, start + 2))
    parent.close()
    child.close()

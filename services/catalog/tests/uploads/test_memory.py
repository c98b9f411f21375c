"""Acceptance 5: a 1 GiB CSV uploads and validates with the service's peak memory growing by
less than 256 MiB.

The catalogue runs as a uvicorn process of its own, so that its memory is only its own: the
peak resident set (``VmHWM``, reset through ``/proc/<pid>/clear_refs`` just before the upload
and read after the validation) counts every allocation, pyarrow's memory pool included.
Objects go to the filesystem store, the same streaming path as S3 without a slower server.
"""

import asyncio
import hashlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hdh_dev.broker import TansuBroker
from hdh_dev.processes import die_with_parent, free_port, stop_process, wait_for_port
from hdh_dev.testing import ServerLogs, TokenFactory, bearer

from .hub import HEADER, PATIENT, SEX

GIB = 2**30
PART_BYTES = 128 * 2**20
LIMIT_MIB = 256
pytestmark = pytest.mark.skipif(
    not Path("/proc/self/clear_refs").exists(), reason="peak RSS is read from Linux /proc"
)


@pytest.fixture
def catalogue(
    clean_database: str,
    kafka: TansuBroker,
    token_public_key: str,
    server_logs: ServerLogs,
    tmp_path: Path,
) -> Iterator[tuple[str, int]]:
    """The catalogue as a process: its base URL and pid."""
    port = free_port()
    env = os.environ | {
        "HDH_DATABASE_URL": clean_database,
        "HDH_INTERNAL_TOKEN_PUBLIC_KEY": token_public_key,
        "HDH_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "HDH_STORAGE_PATH": str(tmp_path / "objects"),
        "HDH_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "catalog.main:create_app"]
    command += ["--port", str(port), "--no-access-log", "--log-level", "warning"]
    with server_logs("the catalogue under a 1 GiB upload") as log_path, log_path.open("ab") as log:
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=log, preexec_fn=die_with_parent
        )
        try:
            wait_for_port("127.0.0.1", port, process=process, timeout=60)
            yield f"http://127.0.0.1:{port}", process.pid
        finally:
            stop_process(process)


class _Digests:
    """The file's sha256 and each part's, computed while the file is written."""

    def __init__(self) -> None:
        self.whole = hashlib.sha256()
        self.parts = [hashlib.sha256()]
        self.filled = 0

    def update(self, data: bytes) -> None:
        self.whole.update(data)
        while data:
            room = PART_BYTES - self.filled
            self.parts[-1].update(data[:room])
            self.filled += min(room, len(data))
            data = data[room:]
            if self.filled == PART_BYTES:
                self.parts.append(hashlib.sha256())
                self.filled = 0


def write_csv(path: Path, size: int) -> tuple[_Digests, int]:
    """A valid CSV of at least ``size`` bytes with unique keys: its digests and row count."""
    lines = 100_000
    template = "".join(
        f"#{i:06d},{1 + i % 2},19{50 + i % 40}-0{1 + i % 9}-1{i % 9},{50 + i % 50}.5\n"
        for i in range(lines)
    ).encode()
    digests = _Digests()
    rows = 0
    with path.open("wb") as file:
        header = (",".join(HEADER) + "\n").encode()
        file.write(header)
        digests.update(header)
        while file.tell() < size:
            block = template.replace(b"#", b"P%05d" % (rows // lines))
            file.write(block)
            digests.update(block)
            rows += lines
    return digests, rows


async def part_chunks(path: Path, offset: int, length: int) -> AsyncIterator[bytes]:
    with path.open("rb") as file:
        file.seek(offset)
        while length > 0:
            chunk = file.read(min(2**20, length))
            length -= len(chunk)
            yield chunk


def reset_peak(pid: int) -> int:
    """Resets the process's peak resident set; returns its current resident set in bytes."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    return _status(pid)["VmRSS"]


def _status(pid: int) -> dict[str, int]:
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if value.strip().endswith("kB"):
            values[name] = int(value.split()[0]) * 1024
    return values


async def setup_table(client: httpx.AsyncClient, staff: dict[str, str]) -> str:
    body = {"slug": "patients", "title": "Patients", "publisher": "aphp"}
    dataset = await client.post("/catalog/datasets", json=body, headers=staff)
    assert dataset.status_code == 201, dataset.text
    dataset_id: str = dataset.json()["id"]
    package = {"resources": [SEX, {"name": "PATIENT", "schema": PATIENT}]}
    imported = await client.post(
        "/catalog/import/table-schema",
        params={"dataset_id": dataset_id},
        json=package,
        headers=staff,
    )
    assert imported.status_code == 200, imported.text
    return dataset_id


async def upload(
    client: httpx.AsyncClient,
    url: str,
    producer: dict[str, str],
    source: tuple[Path, int],
    digests: _Digests,
) -> dict[str, Any]:
    path, size = source
    body = {"table": "PATIENT", "size": size, "sha256": digests.whole.hexdigest()}
    started = await client.post(url, json=body, headers=producer)
    assert started.status_code == 201, started.text
    upload_url = f"{url}/{started.json()['id']}"
    for number, offset in enumerate(range(0, size, PART_BYTES), start=1):
        length = min(PART_BYTES, size - offset)
        checksum = digests.parts[number - 1].hexdigest()
        response = await client.put(
            f"{upload_url}/parts/{number}",
            content=part_chunks(path, offset, length),
            headers=producer | {"X-Part-SHA256": checksum},
        )
        assert response.status_code == 200, response.text
    completed = await client.post(f"{upload_url}/complete", headers=producer)
    assert completed.status_code == 202, completed.text
    version: dict[str, Any] = completed.json()
    return version


async def test_a_1_gib_csv_validates_within_256_mib_of_peak_growth(
    catalogue: tuple[str, int], make_token: TokenFactory, tmp_path: Path
) -> None:
    base_url, pid = catalogue
    path = tmp_path / "patients.csv"
    digests, rows = await asyncio.to_thread(write_csv, path, GIB)
    staff = bearer(make_token("catalog", "hub_staff", sub="hub_staff-1", org="hdh"))
    producer = bearer(make_token("catalog", "producer", sub="producer-1", org="aphp"))
    timeout = httpx.Timeout(300.0)
    async with httpx.AsyncClient(base_url=base_url, timeout=timeout) as client:
        dataset_id = await setup_table(client, staff)
        url = f"/catalog/datasets/{dataset_id}/uploads"
        before = reset_peak(pid)
        source = (path, await asyncio.to_thread(lambda: path.stat().st_size))
        version = await upload(client, url, producer, source, digests)
        peak = _status(pid)["VmHWM"]
    assert (version["status"], version["row_count"]) == ("validated", rows)
    growth = (peak - before) / 2**20
    print(f"1 GiB upload and validation: peak RSS growth {growth:.0f} MiB")
    assert growth < LIMIT_MIB, f"peak RSS grew by {growth:.0f} MiB"

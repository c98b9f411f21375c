"""Acceptance 5: a 1 GiB upload passes through a gateway process whose resident memory grows
by less than 64 MiB while it streams."""

import asyncio
import os
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from hdh_dev.processes import free_port, stop_group, wait_for_port
from hdh_dev.testing import serve_http

from .servers import Calls, echo_service

GIB = 1024 * 1024 * 1024
CHUNK = b"h" * (1024 * 1024)
LIMIT = 64 * 1024 * 1024


class PeakRss:
    """Samples a process's resident set size in a thread."""

    def __init__(self, pid: int) -> None:
        self._process = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> "PeakRss":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._process.memory_info().rss)


@pytest.fixture
def gateway_process(
    tmp_path: Path, token_private_key: str
) -> Iterator[tuple[subprocess.Popen[bytes], str, int]]:
    port, service_port = free_port(), free_port()
    env = os.environ | {
        "HDH_ENVIRONMENT": "dev",
        "HDH_DEV_ISSUER": "true",
        "HDH_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "HDH_DEV_ISSUER_KEY_DIR": str(tmp_path / "idp"),
        "HDH_REQUEST_LOG_SPOOL_DIR": str(tmp_path / "spool"),
        "HDH_KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}",
        "HDH_INTERNAL_TOKEN_PRIVATE_KEY": token_private_key,
        "HDH_CATALOG_URL": f"http://127.0.0.1:{service_port}",
        "HDH_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "gateway.main:create_app"]
    command += ["--port", str(port), "--no-access-log", "--no-proxy-headers"]
    process = subprocess.Popen(command, env=env, start_new_session=True)
    try:
        wait_for_port("127.0.0.1", port, process=process, timeout=20)
        yield process, f"http://127.0.0.1:{port}", service_port
    finally:
        stop_group(process)


async def gib() -> AsyncIterator[bytes]:
    for _ in range(GIB // len(CHUNK)):
        yield CHUNK


async def test_one_gib_upload_in_bounded_gateway_memory(
    gateway_process: tuple[subprocess.Popen[bytes], str, int], token_public_key: str
) -> None:
    process, url, service_port = gateway_process
    sink = echo_service("catalog", public_key=token_public_key, calls=Calls())
    async with (
        serve_http(sink, port=service_port),
        httpx.AsyncClient(base_url=url, timeout=120) as client,
    ):
        login = {
            "grant_type": "password",
            "client_id": "hdh-web",
            "username": "paul",
            "password": "paul",
        }
        token = (await client.post("/idp/token", data=login)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "Content-Length": str(GIB)}
        warm = await client.post(
            "/catalog/datasets/1/uploads/0",
            content=b"x" * 1024,
            headers=headers | {"Content-Length": "1024"},
        )
        assert warm.status_code == 200
        await asyncio.sleep(0.2)
        baseline = psutil.Process(process.pid).memory_info().rss
        with PeakRss(process.pid) as rss:
            response = await client.post(
                "/catalog/datasets/1/uploads/1", content=gib(), headers=headers
            )
    assert response.status_code == 200, response.text
    assert response.json() == {"size": GIB}
    growth = rss.peak - baseline
    print(f"gateway RSS baseline {baseline / 2**20:.1f} MiB, peak growth {growth / 2**20:.1f} MiB")
    assert growth < LIMIT

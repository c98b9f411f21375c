"""``python -m hdh_dev.up`` end to end: the real launcher, its real children, real signals."""

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from hdh_dev.processes import free_port
from hdh_dev.testing import SERVER_URL
from hdh_dev.up import SERVICES

READY_TIMEOUT = 90.0


async def admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(sa.text(statement))
    finally:
        await engine.dispose()


@pytest.fixture
async def empty_database() -> AsyncIterator[str]:
    server = sa.make_url(os.environ.get("HDH_TEST_DATABASE_URL", SERVER_URL))
    server_url = server.render_as_string(hide_password=False)
    name = f"hdh_up_{uuid.uuid4().hex[:10]}"
    await admin(server_url, f'CREATE DATABASE "{name}"')
    yield server.set(database=name).render_as_string(hide_password=False)
    await admin(server_url, f'DROP DATABASE "{name}" WITH (FORCE)')


class Launcher:
    def __init__(self, *, env: dict[str, str], output: Path) -> None:
        self.gateway = f"http://127.0.0.1:{env['HDH_GATEWAY_PORT']}"
        self.output = output
        with open(output, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "hdh_dev.up"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def get(self, path: str) -> tuple[int, Any]:
        response = httpx.get(f"{self.gateway}{path}", timeout=5)
        return response.status_code, response.json()

    def wait_ready(self) -> dict[str, Any]:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output.read_text()
            try:
                status, body = self.get("/readyz")
            except httpx.TransportError:
                status, body = 0, {}
            if status == 200:
                return body
            time.sleep(0.25)
        raise AssertionError(f"not ready: {self.output.read_text()}")

    def children(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children(recursive=True)

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(60)

    def kill(self) -> None:
        for child in [*self.children(), psutil.Process(self.process.pid)]:
            child.kill()
        self.process.wait()


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Any]:
    launchers: list[Launcher] = []

    def start(**env: str) -> Launcher:
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("HDH_")}
        ports = {f"HDH_{name.upper()}_PORT": str(free_port()) for name in ("gateway", *SERVICES)}
        launcher = Launcher(
            env=inherited | ports | {"HDH_DATA_DIR": str(tmp_path / "hdh")} | env,
            output=tmp_path / "launcher.log",
        )
        launchers.append(launcher)
        return launcher

    yield start
    for launcher in launchers:
        if launcher.process.poll() is None:
            launcher.kill()


def alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    return [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def test_serves_readiness_then_stops_everything_on_ctrl_c(
    launch: Any, empty_database: str, tmp_path: Path
) -> None:
    launcher = launch(HDH_DATABASE_URL=empty_database, HDH_EMBEDDED_KAFKA_PORT=str(free_port()))

    readiness = launcher.wait_ready()
    children = launcher.children()

    assert readiness["services"] == dict.fromkeys(SERVICES, "ready")
    assert launcher.get("/healthz") == (200, {"status": "ok"})
    assert len(children) >= 6  # four services, the gateway, the broker
    assert launcher.interrupt() == 0, launcher.output.read_text()
    assert not alive(children)
    data = tmp_path / "hdh"
    assert (data / "keys" / "internal-token.pem").stat().st_mode & 0o777 == 0o600
    assert {p.name for p in (data / "logs").iterdir()} >= {
        "gateway.log",
        "catalog.log",
        "tansu.log",
    }


def test_a_child_that_dies_stops_everything(launch: Any, empty_database: str) -> None:
    launcher = launch(HDH_DATABASE_URL=empty_database, HDH_EMBEDDED_KAFKA_PORT=str(free_port()))
    launcher.wait_ready()
    children = launcher.children()
    audit = next(p for p in children if "audit.main:create_app" in p.cmdline())

    audit.kill()

    assert launcher.process.wait(60) == 1
    assert "audit exited with code -9" in launcher.output.read_text()
    assert not alive(children)


def query(port: int, statement: str) -> Any:
    async def run() -> Any:
        connection = await asyncpg.connect(
            host="127.0.0.1", port=port, user="postgres", database="hdh"
        )
        try:
            return await connection.fetchval(statement)
        finally:
            await connection.close()

    return asyncio.run(run())


def test_embedded_postgres_keeps_data_across_runs(launch: Any, tmp_path: Path) -> None:
    port = free_port()
    env = {"HDH_EMBEDDED_POSTGRES_PORT": str(port), "HDH_EMBEDDED_KAFKA_PORT": str(free_port())}
    versions = "SELECT count(*) FROM {}.alembic_version"
    first = launch(**env)
    first.wait_ready()
    query(port, "CREATE TABLE public.marker AS SELECT 'kept' AS value")
    assert first.interrupt() == 0, first.output.read_text()
    key = (tmp_path / "hdh" / "keys" / "internal-token.pem").read_text()

    second = launch(**env)
    second.wait_ready()
    children = second.children()
    assert query(port, "SELECT value FROM public.marker") == "kept"
    assert [query(port, versions.format(name)) for name in SERVICES] == [1, 1, 1, 1]
    assert second.interrupt() == 0, second.output.read_text()

    assert not alive(children)
    assert (tmp_path / "hdh" / "keys" / "internal-token.pem").read_text() == key

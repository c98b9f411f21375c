"""``python -m hdh_dev.up`` end to end: the real launcher, its real children, real signals."""

import asyncio
from pathlib import Path
from typing import Any

import asyncpg
import psutil

from hdh_dev.launching import LaunchFactory
from hdh_dev.processes import free_port
from hdh_dev.up import SERVICES


def alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    return [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def test_serves_readiness_then_stops_everything_on_ctrl_c(
    launch: LaunchFactory, empty_database: str, tmp_path: Path
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


def test_a_child_that_dies_stops_everything(launch: LaunchFactory, empty_database: str) -> None:
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


def test_embedded_postgres_keeps_data_across_runs(launch: LaunchFactory, tmp_path: Path) -> None:
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
    assert [query(port, versions.format(name)) for name in SERVICES] == [1] * len(SERVICES)
    assert second.interrupt() == 0, second.output.read_text()

    assert not alive(children)
    assert (tmp_path / "hdh" / "keys" / "internal-token.pem").read_text() == key

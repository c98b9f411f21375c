import asyncio
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import psutil
import pytest

from hdh_dev.postgres import EmbeddedPostgres, start_postgres
from hdh_dev.processes import free_port


def start(data_dir: Path) -> EmbeddedPostgres:
    return start_postgres(data_dir=data_dir, port=free_port(), log_path=data_dir.parent / "pg.log")


def query(server: EmbeddedPostgres, statement: str, *, database: str = "postgres") -> object:
    async def run() -> object:
        connection = await asyncpg.connect(
            host=server.host, port=server.port, user="postgres", database=database
        )
        try:
            return await connection.fetchval(statement)
        finally:
            await connection.close()

    return asyncio.run(run())


def tree_of(server: EmbeddedPostgres) -> list[psutil.Process]:
    postmaster = psutil.Process(server.process.pid)
    return [postmaster, *postmaster.children(recursive=True)]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmbeddedPostgres]:
    server = start(tmp_path / "postgres")
    yield server
    server.stop()


def test_accepts_connections_over_tcp(server: EmbeddedPostgres) -> None:
    assert query(server, "SELECT current_user") == "postgres"
    assert query(server, "SELECT upper('é')") == "É"


def test_creates_a_database_once(server: EmbeddedPostgres) -> None:
    server.create_database("hdh")
    server.create_database("hdh")

    assert query(server, "SELECT current_database()", database="hdh") == "hdh"
    assert server.url("hdh") == f"postgresql+asyncpg://postgres@127.0.0.1:{server.port}/hdh"


def test_keeps_data_across_a_restart(tmp_path: Path) -> None:
    first = start(tmp_path / "postgres")
    query(first, "CREATE TABLE kept AS SELECT 42 AS answer")
    first.stop()

    second = start(tmp_path / "postgres")
    try:
        assert query(second, "SELECT answer FROM kept") == 42
    finally:
        second.stop()


def test_stop_leaves_no_process(server: EmbeddedPostgres) -> None:
    processes = tree_of(server)
    assert len(processes) > 1  # the postmaster and its background workers

    server.stop()

    assert server.process.returncode == 0
    assert not [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not (server.data_dir / "postmaster.pid").exists()


def test_recovers_from_a_crashed_run(tmp_path: Path) -> None:
    crashed = start(tmp_path / "postgres")
    pid_file = (crashed.data_dir / "postmaster.pid").read_text()
    crashed.stop()
    (crashed.data_dir / "postmaster.pid").write_text(pid_file)  # left by a killed server

    second = start(tmp_path / "postgres")
    try:
        assert query(second, "SELECT 1") == 1
    finally:
        second.stop()


def test_stops_a_server_left_running(tmp_path: Path) -> None:
    orphan = start(tmp_path / "postgres")

    second = start(tmp_path / "postgres")
    try:
        assert orphan.process.wait(10) == 0
        assert query(second, "SELECT 1") == 1
    finally:
        second.stop()

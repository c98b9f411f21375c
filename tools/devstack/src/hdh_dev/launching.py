"""Pytest fixtures that start the whole platform as `make up` does: the real launcher.

``launch(**env)`` starts ``python -m hdh_dev.up`` on free ports in the test's folder;
``empty_database`` gives it a database of its own on the test server.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from hdh_dev.processes import free_port
from hdh_dev.testing import fresh_database
from hdh_dev.wiring import SERVICES

READY_TIMEOUT = 90.0


@pytest.fixture
async def empty_database() -> AsyncIterator[str]:
    async with fresh_database("hdh_up", services=()) as url:
        yield url


class Launcher:
    """``python -m hdh_dev.up`` in its own session, its output in ``output``."""

    def __init__(self, *, env: dict[str, str], output: Path) -> None:
        self.gateway = f"http://127.0.0.1:{env['HDH_GATEWAY_PORT']}"
        self.env = env
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
            if status == 200 and body.get("status") == "ready":
                return dict(body)
            time.sleep(0.25)
        raise AssertionError(f"not ready: {self.output.read_text()}")

    def children(self) -> list[psutil.Process]:
        children: list[psutil.Process] = psutil.Process(self.process.pid).children(recursive=True)
        return children

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(60)

    def kill(self) -> None:
        for child in [*self.children(), psutil.Process(self.process.pid)]:
            child.kill()
        self.process.wait()


LaunchFactory = Callable[..., Launcher]


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[LaunchFactory]:
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

"""A real JupyterHub for the session tests, once per module: the chart's configuration, its
proxy from npm (``configurable-http-proxy``, installed by ``make install`` under .venv/node),
and a local spawner whose servers record the environment they were given."""

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from hdh_dev.processes import die_with_parent, free_port, stop_group
from hdh_dev.testing import ServerLogs

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
HOOKS = ROOT / "helm" / "hdh" / "files" / "jupyterhub"
PROXY = ROOT / ".venv" / "node" / "node_modules" / ".bin" / "configurable-http-proxy"


@dataclass
class Hub:
    api_url: str
    token: str
    tester_token: str
    sessions: Path

    def servers(self, user: str) -> dict[str, Any]:
        headers = {"Authorization": f"token {self.token}"}
        answer = httpx.get(f"{self.api_url}/users/{user}", headers=headers, timeout=10)
        if answer.status_code == 404:
            return {}
        answer.raise_for_status()
        servers: dict[str, Any] = answer.json()["servers"]
        return servers

    def environment(self, user: str, server: str) -> dict[str, str]:
        """What the session's server was started with."""
        recorded: dict[str, str] = json.loads((self.sessions / f"{user}-{server}.json").read_text())
        return recorded


def proxy_command() -> str:
    found = shutil.which("configurable-http-proxy") or (str(PROXY) if PROXY.exists() else None)
    if found is None:
        pytest.fail("configurable-http-proxy (npm) is missing: run `make install` with npm")
    return found


def _wait_for_api(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("JupyterHub stopped while starting; see its log")
        try:
            if httpx.get(f"{url}/", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError("JupyterHub's API did not answer in 30 s")


@pytest.fixture(scope="module")
def jupyterhub(tmp_path_factory: pytest.TempPathFactory, server_logs: ServerLogs) -> Iterator[Hub]:
    folder = tmp_path_factory.mktemp("jupyterhub")
    token, tester = secrets.token_hex(32), secrets.token_hex(32)
    public = f"http://127.0.0.1:{free_port()}"
    environment = os.environ | {
        "PYTHONPATH": str(HOOKS),
        "HDH_TEST_HUB_TOKEN": token,
        "HDH_TEST_TESTER_TOKEN": tester,
        "HDH_TEST_HUB_URL": public,
        "HDH_TEST_HUB_INTERNAL_URL": f"http://127.0.0.1:{free_port()}",
        "HDH_TEST_PROXY_API_URL": f"http://127.0.0.1:{free_port()}",
        "HDH_TEST_PROXY_COMMAND": proxy_command(),
        "HDH_TEST_SESSIONS": str(folder),
    }
    command = [sys.executable, "-m", "jupyterhub", "-f", str(HERE / "jupyterhub_config.py")]
    with server_logs("JupyterHub") as log_path, open(log_path, "ab") as log:
        process = subprocess.Popen(
            command,
            cwd=folder,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        try:
            _wait_for_api(f"{public}/hub/api", process)
            yield Hub(
                api_url=f"{public}/hub/api", token=token, tester_token=tester, sessions=folder
            )
        finally:
            stop_group(process, sig=signal.SIGINT)

"""An S3 API server for tests: moto's, as a child process on a free port (memory storage)."""

import http.client
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from hdh_dev.processes import die_with_parent, free_port, stop_process, wait_for_port


@dataclass
class S3Server:
    process: subprocess.Popen[bytes]
    host: str
    port: int

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    def stop(self) -> None:
        stop_process(self.process)


def start_s3_server(
    *,
    port: int | None = None,
    host: str = "127.0.0.1",
    log_path: Path | None = None,
    timeout: float = 30.0,
) -> S3Server:
    port = port or free_port(host)
    with open(log_path or os.devnull, "ab") as output:
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "moto.server", "--host", host, "--port", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
    try:
        wait_for_port(host, port, process=process, timeout=timeout)
        _wait_for_answer(host, port, timeout=timeout)
    except BaseException:
        stop_process(process)
        raise
    return S3Server(process=process, host=host, port=port)


def _wait_for_answer(host: str, port: int, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            connection.request("GET", "/")
            connection.getresponse().read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
        finally:
            connection.close()

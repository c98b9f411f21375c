"""The short form of `make soak`: mixed traffic through the gateway of a launched platform."""

import asyncio

from hdh_dev.launching import LaunchFactory
from hdh_dev.processes import free_port
from hdh_dev.soak import MemoryWatch, Soak, report


def test_mixed_traffic_holds_with_no_unintended_error(
    launch: LaunchFactory, empty_database: str
) -> None:
    launcher = launch(HDH_DATABASE_URL=empty_database, HDH_EMBEDDED_KAFKA_PORT=str(free_port()))
    launcher.wait_ready()
    processes = {
        argument.split(".")[0]: child
        for child in launcher.children()
        for argument in child.cmdline()
        if argument.endswith(".main:create_app")
    }
    assert set(processes) == {"gateway", "catalog", "access", "linkage", "audit", "workspace"}
    memory = MemoryWatch(processes)
    soak = Soak(launcher.gateway, clients=5, duration=20, think=0.05, say=lambda _: None)

    results = asyncio.run(soak.run())
    memory.stop()
    lines = report(results, memory, 20)

    assert results.errors == [], "\n".join(lines)
    assert results.intended > 0  # the researcher's attempts on the audit log: 403 each time
    assert results.requests > 100
    assert results.audit_lags, "no request was seen reaching the audit log"
    routes = set(results.latencies)
    assert {"GET /catalog/search", "POST /access/requests/{id}/transitions"} <= routes
    assert any(line.startswith("audit lag:") for line in lines)
    assert all(memory.peak[name] >= memory.start[name] > 0 for name in processes)
    assert launcher.interrupt() == 0, launcher.output.read_text()

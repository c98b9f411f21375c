"""Gateway overhead: an authenticated small GET through the gateway against the same service
called directly, measured in the same run (throughput, p50, p99, and their ratios).

Run: ``.venv/bin/python gateway/bench/bench_gateway.py`` (about a minute). The service, the
gateway (dev issuer on, request log on, a Tansu broker behind it) and the load generator each
run in their own process, so all of them share this machine's cores as in ``make up``.
"""

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

HOST = "127.0.0.1"
WARMUP_SECONDS = 1.0
ROUNDS = 4
LATENCY_SECONDS = 1.5
THROUGHPUT_SECONDS = 2.5
CONNECTIONS = 16
THROUGHPUT_TARGET = 0.5
ADDED_P50_TARGET_MS = 2.0
PATH = "/catalog/datasets/42"


def service_app() -> Any:
    """A service as the platform builds them (internal-token check, request middleware), minus
    the database: what the gateway adds is what is measured."""
    from fastapi import FastAPI
    from prometheus_client import CollectorRegistry

    from hdh_common.errors import install_error_handlers
    from hdh_common.identity import InternalTokenVerifier, PrincipalDep
    from hdh_common.middleware import HttpMetrics, RequestContextMiddleware
    from hdh_common.state import STATE_KEY

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        verifier = InternalTokenVerifier(
            os.environ["HDH_INTERNAL_TOKEN_PUBLIC_KEY"], issuer="hdh-gateway", audience="catalog"
        )
        yield {STATE_KEY: SimpleNamespace(token_verifier=verifier)}

    app = FastAPI(lifespan=lifespan)
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware, metrics=HttpMetrics(CollectorRegistry()))

    @app.get("/catalog/datasets/{dataset_id}")
    async def get_dataset(dataset_id: int, principal: PrincipalDep) -> dict[str, Any]:
        return {"id": dataset_id, "title": "SNDS — DCIR", "reader": principal.subject}

    return app


@dataclass
class Result:
    name: str
    requests: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    cpu_seconds: float = 0.0

    def add(self, other: "Result", *, cpu_seconds: float) -> None:
        self.requests += other.requests
        self.seconds += other.seconds
        self.latencies += other.latencies
        self.cpu_seconds += cpu_seconds

    @property
    def cpu_ms_per_request(self) -> float:
        return self.cpu_seconds * 1000 / max(self.requests, 1)

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def _one_connection(
    port: int, request: bytes, *, until: float, latencies: list[float]
) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        while time.perf_counter() < until:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"unexpected answer: {head[:200]!r}")
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
    finally:
        writer.close()


async def load(
    name: str, port: int, token: str, *, connections: int, seconds: float, warmup: float = 0.0
) -> Result:
    request = (
        f"GET {PATH} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAuthorization: Bearer {token}\r\n\r\n"
    ).encode()
    warm: list[float] = []
    until = time.perf_counter() + warmup
    await asyncio.gather(
        *(_one_connection(port, request, until=until, latencies=warm) for _ in range(connections))
    )
    latencies: list[float] = []
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(
        *(
            _one_connection(port, request, until=until, latencies=latencies)
            for _ in range(connections)
        )
    )
    return Result(name, len(latencies), time.perf_counter() - started, latencies)


def _wait_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    from hdh_dev.processes import wait_for_port

    wait_for_port(HOST, port, process=process, timeout=timeout)


@contextlib.contextmanager
def processes(work: Path) -> Iterator[tuple[int, int, str, int, int]]:
    """The service, the broker and the gateway; yields their ports and the internal key."""
    from hdh_common.identity import generate_private_key_pem, public_key_pem
    from hdh_dev.broker import start_tansu
    from hdh_dev.processes import free_port, stop_group

    private = generate_private_key_pem()
    service_port, gateway_port = free_port(), free_port()
    broker = start_tansu()
    env = os.environ | {"HDH_INTERNAL_TOKEN_PUBLIC_KEY": public_key_pem(private)}
    service = subprocess.Popen(  # noqa: S603
        [sys.executable, __file__, "--serve-service", str(service_port)],
        env=env,
        start_new_session=True,
    )
    gateway_env = os.environ | {
        "HDH_ENVIRONMENT": "dev",
        "HDH_DEV_ISSUER": "true",
        "HDH_PUBLIC_URL": f"http://{HOST}:{gateway_port}",
        "HDH_DEV_ISSUER_KEY_DIR": str(work / "idp"),
        "HDH_REQUEST_LOG_SPOOL_DIR": str(work / "spool"),
        "HDH_KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
        "HDH_INTERNAL_TOKEN_PRIVATE_KEY": private,
        "HDH_CATALOG_URL": f"http://{HOST}:{service_port}",
        "HDH_RATE_LIMIT_IP_RATE": "0",
        "HDH_RATE_LIMIT_SUBJECT_RATE": "0",
        "HDH_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "gateway.main:create_app"]
    command += ["--host", HOST, "--port", str(gateway_port), "--no-access-log"]
    command += ["--no-proxy-headers"]
    command += ["--log-level", "warning"]
    gateway = subprocess.Popen(command, env=gateway_env, start_new_session=True)  # noqa: S603
    try:
        _wait_port(service_port, service)
        _wait_port(gateway_port, gateway)
        yield service_port, gateway_port, private, service.pid, gateway.pid
    finally:
        stop_group(gateway)
        stop_group(service)
        broker.stop()


def user_token(gateway_port: int) -> str:
    form = urllib.parse.urlencode(
        {"grant_type": "password", "client_id": "hdh-web", "username": "alice", "password": "alice"}
    ).encode()
    url = f"http://{HOST}:{gateway_port}/idp/token"
    with urllib.request.urlopen(url, data=form, timeout=10) as response:
        return str(json.loads(response.read())["access_token"])


def internal_token(private: str) -> str:
    from hdh_common.identity import InternalTokenSigner, Principal, Role

    signer = InternalTokenSigner(private, issuer="hdh-gateway", ttl_seconds=600)
    principal = Principal(subject="alice", roles=frozenset({Role.RESEARCHER}))
    return signer.sign(principal, audience="catalog")


def report(results: dict[str, Result]) -> bool:
    print(f"{'run':<18}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'requests':>10}{'CPU ms/req':>12}")
    for r in results.values():
        print(
            f"{r.name:<18}{r.throughput:>9.0f}{r.percentile(0.5):>9.2f}{r.percentile(0.99):>9.2f}"
            f"{r.requests:>10}{r.cpu_ms_per_request:>12.2f}"
        )
    ratio = results["gateway_load"].throughput / results["direct_load"].throughput
    lat_direct, lat_gateway = results["direct_latency"], results["gateway_latency"]
    added_p50 = lat_gateway.percentile(0.5) - lat_direct.percentile(0.5)
    added_p99 = lat_gateway.percentile(0.99) - lat_direct.percentile(0.99)
    print("(CPU ms/req: the service's for direct runs, the gateway's and the service's together")
    print(" for gateway runs; the load generator runs in this process and is not counted.)")
    print(
        f"throughput ratio gateway/direct ({CONNECTIONS} connections): {ratio:.2f}"
        f"  (target >= {THROUGHPUT_TARGET})"
    )
    print(
        f"added latency, 1 connection: p50 {added_p50:.2f} ms (target < {ADDED_P50_TARGET_MS}),"
        f" p99 {added_p99:.2f} ms"
    )
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, load average {load} (other work shares the cores)")
    ok = ratio >= THROUGHPUT_TARGET and added_p50 < ADDED_P50_TARGET_MS
    print("result:", "PASS" if ok else "FAIL")
    return ok


def _cpu(pids: list[int]) -> float:
    import psutil

    return sum(sum(psutil.Process(pid).cpu_times()[:2]) for pid in pids)


async def measure(
    service_port: int, gateway_port: int, private: str, *, service_pid: int, gateway_pid: int
) -> dict[str, Result]:
    """Direct and gateway runs interleaved, round after round, so a noisy neighbour on the
    machine weighs on both alike."""
    direct, through = internal_token(private), user_token(gateway_port)
    runs = [
        ("direct_latency", service_port, direct, 1, LATENCY_SECONDS, [service_pid]),
        ("gateway_latency", gateway_port, through, 1, LATENCY_SECONDS, [service_pid, gateway_pid]),
        ("direct_load", service_port, direct, CONNECTIONS, THROUGHPUT_SECONDS, [service_pid]),
        (
            "gateway_load",
            gateway_port,
            through,
            CONNECTIONS,
            THROUGHPUT_SECONDS,
            [service_pid, gateway_pid],
        ),
    ]
    results = {name: Result(name) for name, *_ in runs}
    for round_number in range(ROUNDS):
        warmup = WARMUP_SECONDS if round_number == 0 else 0.0
        for name, port, token, connections, seconds, pids in runs:
            if warmup:
                await load(name, port, token, connections=connections, seconds=0, warmup=warmup)
            before = _cpu(pids)
            run = await load(name, port, token, connections=connections, seconds=seconds)
            results[name].add(run, cpu_seconds=_cpu(pids) - before)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--serve-service", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_service:
        import uvicorn

        uvicorn.run(
            service_app(), host=HOST, port=args.serve_service, log_level="warning", access_log=False
        )
        return 0
    with tempfile.TemporaryDirectory() as work, processes(Path(work)) as started:
        service, gateway, key, service_pid, gateway_pid = started
        results = asyncio.run(
            measure(service, gateway, key, service_pid=service_pid, gateway_pid=gateway_pid)
        )
    return 0 if report(results) else 1


if __name__ == "__main__":
    sys.exit(main())

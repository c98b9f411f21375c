"""``make up``: the whole platform on one machine, on embedded defaults.

Starts PostgreSQL and the broker (unless ``HDH_DATABASE_URL`` / ``HDH_KAFKA_BOOTSTRAP_SERVERS``
name real ones), migrates every service, starts the four services and the gateway, waits
for the gateway's ``/readyz``, then supervises until Ctrl-C. Data and logs live in ``.hdh/``.
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import make_url

from hdh_common.identity import generate_private_key_pem
from hdh_dev.broker import start_tansu
from hdh_dev.postgres import start_postgres
from hdh_dev.processes import port_open, stop_group
from hdh_dev.wiring import SERVICES, Wiring, platform_wiring

HOST = "127.0.0.1"
DATABASE = "hdh"
STOP_TIMEOUT = 10.0
SHARED_SNDS = Path(__file__).resolve().parents[4].parent / "shared" / "data" / "snds"
STARTED_AT = time.monotonic()


class LauncherSettings(BaseSettings):
    """What the launcher reads (``HDH_`` prefix); the services read their own settings."""

    model_config = SettingsConfigDict(env_prefix="HDH_", extra="ignore")

    data_dir: Path = Field(Path(".hdh"), description="Folder of all `make up` data and logs.")
    database_url: str = ""
    kafka_bootstrap_servers: str = ""
    internal_token_private_key: str = ""
    service_token_private_key: str = ""
    embedded_postgres_port: int = Field(5433, description="Port of the embedded PostgreSQL.")
    embedded_kafka_port: int = Field(9092, description="Port of the embedded broker.")
    gateway_port: int = Field(8000, description="Port `make up` gives the gateway.")
    catalog_port: int = Field(8001, description="Port `make up` gives the catalogue.")
    access_port: int = Field(8002, description="Port `make up` gives the access service.")
    linkage_port: int = Field(8003, description="Port `make up` gives the linkage service.")
    audit_port: int = Field(8004, description="Port `make up` gives the audit service.")
    workspace_port: int = Field(8005, description="Port `make up` gives the project space service.")
    ready_timeout: float = Field(60.0, description="Seconds `make up` waits for `/readyz`.")

    def port(self, name: str) -> int:
        return int(getattr(self, f"{name}_port"))


class LauncherError(Exception):
    """A failure to start or a child that died: told to the user, exit code 1."""


class Interrupted(Exception):
    """SIGINT, SIGTERM or SIGHUP (the terminal closed): stop everything, exit code 0."""


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(f"    {line}" for line in text.splitlines()[-lines:])


def say(message: str) -> None:
    print(f"[hdh {time.monotonic() - STARTED_AT:5.1f}s] {message}", flush=True)


def spawn(name: str, command: list[str], *, env: dict[str, str], logs: Path) -> Child:
    """Start ``command`` in its own session, output to ``logs/<name>.log``."""
    log_path = logs / f"{name}.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(  # noqa: S603
            command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    return Child(name=name, process=process, log_path=log_path)


def check_alive(children: Iterable[Child]) -> None:
    for child in children:
        if child.process.poll() is not None:
            raise LauncherError(
                f"{child.name} exited with code {child.process.returncode}; "
                f"end of {child.log_path}:\n{child.tail()}"
            )


def check_ports_free(ports: dict[str, int]) -> None:
    """``ports``: the variable that sets each port, and the port."""
    taken = [f"{port} ({name})" for name, port in ports.items() if port_open(HOST, port)]
    if taken:
        raise LauncherError(
            f"port already in use: {', '.join(taken)}. Is a previous `make up` still running? "
            "If not, set the variable named to a free port."
        )


def redacted(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def database(settings: LauncherSettings, *, stack: ExitStack, watched: list[Child]) -> str:
    if settings.database_url:
        say(f"postgres: using {redacted(settings.database_url)}")
        return settings.database_url
    data_dir = settings.data_dir / "postgres"
    log_path = settings.data_dir / "logs" / "postgres.log"
    port = settings.embedded_postgres_port
    try:
        server = start_postgres(data_dir=data_dir, port=port, host=HOST, log_path=log_path)
    except (OSError, RuntimeError, subprocess.SubprocessError) as error:
        raise LauncherError(
            f"postgres did not start: {error}; see {log_path} (HDH_EMBEDDED_POSTGRES_PORT sets "
            "the port, HDH_DATABASE_URL uses another server)"
        ) from error
    stack.callback(server.stop)
    watched.append(Child(name="postgres", process=server.process, log_path=log_path))
    server.create_database(DATABASE)
    say(f"postgres: embedded, data in {data_dir}, port {port}")
    return server.url(DATABASE)


def broker(settings: LauncherSettings, *, stack: ExitStack, watched: list[Child]) -> str:
    if settings.kafka_bootstrap_servers:
        say(f"broker: using {settings.kafka_bootstrap_servers}")
        return settings.kafka_bootstrap_servers
    log_path = settings.data_dir / "logs" / "tansu.log"
    port = settings.embedded_kafka_port
    check_ports_free({"HDH_EMBEDDED_KAFKA_PORT": port})
    try:
        tansu = start_tansu(port=port, host=HOST, log_path=log_path)
    except (OSError, RuntimeError) as error:
        raise LauncherError(f"the broker did not start: {error}; see {log_path}") from error
    stack.callback(tansu.stop)
    watched.append(Child(name="tansu", process=tansu.process, log_path=log_path))
    say(f"broker: embedded Tansu on {tansu.bootstrap_servers}")
    return tansu.bootstrap_servers


def private_key(settings: LauncherSettings) -> str:
    """The internal-token signing key: configured, or generated once into ``.hdh/keys``."""
    return _key(settings.internal_token_private_key, settings.data_dir, "internal-token.pem")


def service_key(settings: LauncherSettings) -> str:
    """The internal service identity's key: configured, or generated once into ``.hdh/keys``."""
    return _key(settings.service_token_private_key, settings.data_dir, "service-token.pem")


def _key(configured: str, data_dir: Path, name: str) -> str:
    if configured:
        return configured
    path = data_dir / "keys" / name
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(generate_private_key_pem())
        say(f"keys: generated {path}")
    return path.read_text()


def migrate(*, env: dict[str, str], logs: Path) -> None:
    """Upgrade every service's schema (in parallel: each has its own history)."""
    command = [sys.executable, "-m", "hdh_common.migrations"]
    runs = [
        spawn(f"migrate-{name}", [*command, name, "upgrade"], env=env, logs=logs)
        for name in SERVICES
    ]
    try:
        for run in runs:
            if run.process.wait() != 0:
                raise LauncherError(f"{run.name} failed; end of {run.log_path}:\n{run.tail()}")
    finally:
        for run in runs:
            stop_group(run.process, timeout=STOP_TIMEOUT)
    say("migrations: up to date")


def serve(name: str, port: int, *, env: dict[str, str], logs: Path) -> Child:
    command = [sys.executable, "-m", "uvicorn", "--factory", f"{name}.main:create_app"]
    command += ["--host", HOST, "--port", str(port), "--no-access-log", "--no-server-header"]
    command += ["--no-proxy-headers"]
    return spawn(name, command, env=env | {"HDH_PORT": str(port)}, logs=logs)


def start_apps(
    settings: LauncherSettings, *, env: dict[str, str], wiring: Wiring, stack: ExitStack
) -> list[Child]:
    """The four services, then the gateway (registered last, so stopped first)."""
    logs = settings.data_dir / "logs"
    service_env = env | wiring.service_env()
    gateway_env = env | wiring.gateway_env()
    children = [serve(name, settings.port(name), env=service_env, logs=logs) for name in SERVICES]
    children.append(serve("gateway", settings.gateway_port, env=gateway_env, logs=logs))
    for child in children:
        stack.callback(stop_group, child.process, timeout=STOP_TIMEOUT)
    return children


def urls(settings: LauncherSettings, *, public_host: str = HOST) -> dict[str, str]:
    """Where the services answer, and the gateway (on ``public_host``)."""
    found = {name: f"http://{HOST}:{settings.port(name)}" for name in SERVICES}
    return found | {"gateway": f"http://{public_host}:{settings.gateway_port}"}


def readiness(url: str) -> tuple[bool, dict[str, str]]:
    """Whether the gateway's ``/readyz`` is 200 with every service ready, and the state it
    gives of each service."""
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=3) as response:  # noqa: S310
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    except OSError:
        return False, {"gateway": "unreachable"}
    try:
        services = json.loads(body)["services"]
    except (ValueError, KeyError, TypeError):
        services = {"gateway": f"HTTP {status}"}
    ready = status == 200 and all(state == "ready" for state in dict(services).values())
    return ready, dict(services)


def wait_ready(url: str, *, children: list[Child], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    states: dict[str, str] = {}
    while time.monotonic() < deadline:
        check_alive(children)
        ready, states = readiness(url)
        if ready:
            return
        time.sleep(0.25)
    pending = ", ".join(f"{name} {state}" for name, state in states.items() if state != "ready")
    logs = children[-1].log_path.parent
    raise LauncherError(f"not ready after {timeout:.0f}s ({pending}); see the logs in {logs}")


def announce(settings: LauncherSettings, *, database_url: str, bootstrap_servers: str) -> None:
    gateway = f"http://localhost:{settings.gateway_port}"
    say(f"ready: gateway {gateway}  (API docs {gateway}/docs, readiness {gateway}/readyz)")
    for name in SERVICES:
        say(f"  {name:<8} http://localhost:{settings.port(name)}")
    say(f"  database {redacted(database_url)}")
    say(f"  broker   {bootstrap_servers}")
    say(f"  data     {settings.data_dir}   (logs in {settings.data_dir / 'logs'})")
    say("Ctrl-C stops everything.")


def supervise(children: list[Child]) -> None:
    while True:
        check_alive(children)
        time.sleep(0.5)


def run(settings: LauncherSettings, *, stack: ExitStack) -> None:
    check_ports_free(
        {f"HDH_{name.upper()}_PORT": settings.port(name) for name in ("gateway", *SERVICES)}
    )
    (settings.data_dir / "logs").mkdir(parents=True, exist_ok=True)
    watched: list[Child] = []
    database_url = database(settings, stack=stack, watched=watched)
    bootstrap_servers = broker(settings, stack=stack, watched=watched)
    wiring = platform_wiring(
        database_url=database_url,
        bootstrap_servers=bootstrap_servers,
        data_dir=settings.data_dir,
        private_key=private_key(settings),
        service_key=service_key(settings),
        urls=urls(settings, public_host="localhost"),
    )
    env = os.environ | {
        # the SNDS dictionary seeds an empty catalogue (a small demo when the folder is absent)
        "HDH_CATALOG_SEED_PATH": str(SHARED_SNDS),
        # a signed tree head soon after each entry, for the demo's auditor
        "HDH_AUDIT_TREE_HEAD_INTERVAL": os.environ.get("HDH_AUDIT_TREE_HEAD_INTERVAL", "2"),
    }
    migrate(env=env | wiring.service_env(), logs=settings.data_dir / "logs")
    watched += start_apps(settings, env=env, wiring=wiring, stack=stack)
    wait_ready(
        f"http://{HOST}:{settings.gateway_port}", children=watched, timeout=settings.ready_timeout
    )
    announce(settings, database_url=database_url, bootstrap_servers=bootstrap_servers)
    supervise(watched)


def on_signal(signum: int, frame: FrameType | None) -> None:
    handle_signals(while_stopping)  # a second Ctrl-C must not interrupt the shutdown
    raise Interrupted(signal.Signals(signum).name)


def while_stopping(signum: int, frame: FrameType | None) -> None:
    say("still stopping, please wait")


def handle_signals(handler: Callable[[int, FrameType | None], None]) -> None:
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, handler)


def main() -> int:
    handle_signals(on_signal)
    settings = LauncherSettings()
    settings.data_dir = settings.data_dir.resolve()
    code = 0
    with ExitStack() as stack:
        try:
            run(settings, stack=stack)
        except Interrupted as interruption:
            say(f"{interruption}: stopping")
        except LauncherError as error:
            say(f"error: {error}")
            code = 1
        finally:
            handle_signals(while_stopping)
    say("stopped" if code == 0 else "stopped after an error")
    return code


if __name__ == "__main__":
    sys.exit(main())

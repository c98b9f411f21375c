"""Pytest fixtures: real servers started once per session, a database cleaned per test.

PostgreSQL is the machine's at 127.0.0.1:5432 (or ``HDH_TEST_DATABASE_URL``), in a fresh
database per session; the broker is a Tansu process on a free port.

The logs of the whole session are scanned for secrets (``hdh_dev.logscan``): every log record
of the test process, the captured output of each test, the output of the servers started
here, and every ``*.log`` file left in the session's temporary folder (the platforms that
tests launch write theirs there). A run whose logs hold one fails; ``--no-log-scan`` turns
the scan off.
"""

import asyncio
import logging
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import AbstractContextManager, AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa
import uvicorn
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from asgi_lifespan import LifespanManager
from fastapi import FastAPI, Request
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from access.grants.schemas import ReaderRights
from hdh_common import migrations
from hdh_common.db import create_engine, create_sessionmaker, schema_metadata
from hdh_common.identity import (
    SERVICE_TOKEN_ISSUER,
    InternalTokenSigner,
    InternalTokenVerifier,
    Principal,
    Role,
    generate_private_key_pem,
    public_key_pem,
)
from hdh_common.kafka import DEFAULT_PARTITIONS
from hdh_common.logs import JsonFormatter
from hdh_common.outbox import MessagingTables, OutboxRelay
from hdh_dev.broker import TansuBroker, start_tansu
from hdh_dev.logscan import LogScanner
from hdh_dev.processes import free_port
from hdh_dev.s3server import S3Server, start_s3_server
from hdh_dev.softhsm import SoftHsm, SoftHsmMissing, start_softhsm
from hdh_dev.wiring import SERVICES, platform_wiring

# Quick relays and tree heads: tests wait for both.
PLATFORM_SETTINGS = {"outbox_poll_interval": 0.1, "audit_tree_head_interval": 1.0}
SERVER_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
TOKEN_ISSUER = "hdh-gateway"
LOG_SCANNER = pytest.StashKey[LogScanner]()
_CAPTURED_OUTPUT = ("Captured stdout", "Captured stderr")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--no-log-scan",
        action="store_true",
        help="Do not fail the run when its logs hold a token, key, password or NIR.",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("no_log_scan", False):
        return
    scanner = LogScanner()
    config.stash[LOG_SCANNER] = scanner
    _scanners.append(scanner)
    _record_every_log_record(scanner)


def pytest_unconfigure(config: pytest.Config) -> None:
    if LOG_SCANNER in config.stash:
        _scanners.remove(config.stash[LOG_SCANNER])
        logging.Logger.callHandlers = _CALL_HANDLERS  # type: ignore[method-assign]


_CALL_HANDLERS = logging.Logger.callHandlers
_scanners: list[LogScanner] = []


def _record_every_log_record(scanner: LogScanner) -> None:
    """Shows the scanner each record as the services format it. Apps replace the root
    logger's handlers when they start, so the scan sits where every record passes."""
    formatter = JsonFormatter("test")

    def call_handlers(self: logging.Logger, record: logging.LogRecord) -> None:
        try:
            text = formatter.format(record)
        except Exception:
            text = f"{record.msg} {record.args}"
        scanner.check(text, source=f"logger {record.name!r}")
        _CALL_HANDLERS(self, record)

    logging.Logger.callHandlers = call_handlers  # type: ignore[method-assign]


def pytest_runtest_logstart(nodeid: str) -> None:
    if _scanners:
        _scanners[-1].test = nodeid


def pytest_runtest_logfinish() -> None:
    if _scanners:
        _scanners[-1].test = "(between tests)"


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if not _scanners:
        return
    for name, content in report.sections:
        if name.startswith(_CAPTURED_OUTPUT):
            _scanners[-1].check(content, source=f"{name.lower()} of the test")


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    scanner = session.config.stash.get(LOG_SCANNER, None)
    if scanner is None:
        return
    for path in _log_files(session.config):
        scanner.check(path.read_text(errors="replace"), source=f"the log file {path}")
        scanner.files += 1
    if scanner.findings and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _log_files(config: pytest.Config) -> list[Path]:
    """The ``*.log`` files under this session's temporary folder, if it made one (pytest
    keeps it on its ``TempPathFactory``, created only when a test asked for a folder)."""
    factory = getattr(config, "_tmp_path_factory", None)
    basetemp: Path | None = getattr(factory, "_basetemp", None)
    if basetemp is None or not basetemp.is_dir():
        return []
    return sorted(path for path in basetemp.rglob("*.log") if path.is_file())


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    scanner = config.stash.get(LOG_SCANNER, None)
    if scanner is None:
        return
    if scanner.findings:
        terminalreporter.section("secrets in the logs", sep="=", red=True, bold=True)
        terminalreporter.line(scanner.report())
    else:
        terminalreporter.line(
            f"log scan: no secret in {scanner.texts} log texts ({scanner.files} log files)"
        )


async def admin(url: str, statement: str) -> None:
    """Run ``statement`` outside a transaction (``CREATE DATABASE``, ``DROP DATABASE``)."""
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(sa.text(statement))
    finally:
        await engine.dispose()


@asynccontextmanager
async def fresh_database(prefix: str, *, services: Sequence[str] = SERVICES) -> AsyncIterator[str]:
    """A new database on the test server with the migrations of ``services``, dropped after."""
    server = sa.make_url(os.environ.get("HDH_TEST_DATABASE_URL", SERVER_URL))
    server_url = server.render_as_string(hide_password=False)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    await admin(server_url, f'CREATE DATABASE "{name}"')
    try:
        url = server.set(database=name).render_as_string(hide_password=False)
        for service in services:
            await asyncio.to_thread(migrations.upgrade, service, url)
        yield url
    finally:
        await admin(server_url, f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    """The session database: every service's migrations applied, shared by the tests that do
    not start a platform (those get a database of their own, see ``platform``)."""
    async with fresh_database("hdh_test") as url:
        yield url


@contextmanager
def no_relay_left() -> Iterator[None]:
    """Fail if an outbox relay started in the block still runs after it: a leaked relay keeps
    publishing, and marking sent, the events that later tests write to its database."""
    before = _running_relays()
    yield
    leaked = _running_relays() - before
    assert not leaked, f"outbox relays outlived their app: {[t.get_coro() for t in leaked]}"


def _running_relays() -> set[asyncio.Task[Any]]:
    return {
        task
        for task in asyncio.all_tasks()
        if not task.done()
        and getattr(task.get_coro(), "__qualname__", "") == OutboxRelay.run.__qualname__
    }


@pytest_asyncio.fixture(autouse=True)  # also where asyncio_mode is not "auto"
async def no_relay_outlives_its_test() -> AsyncIterator[None]:
    with no_relay_left():
        yield


@pytest.fixture
async def clean_database(database_url: str) -> AsyncIterator[str]:
    """The session database, emptied after the test (tests here commit, e.g. through the outbox)."""
    yield database_url
    await truncate_tables(database_url)


@pytest.fixture
async def engine(clean_database: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the test's (cleaned) database."""
    engine = create_async_engine(clean_database)
    yield engine
    await engine.dispose()


async def truncate_tables(url: str) -> None:
    """Every table of every service's schema truncated (their Alembic versions kept)."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            rows = await connection.execute(
                sa.text(
                    "SELECT schemaname, tablename FROM pg_tables WHERE schemaname = ANY(:schemas)"
                    " AND tablename <> 'alembic_version'"
                ),
                {"schemas": list(SERVICES)},
            )
            tables = ", ".join(f'"{s}"."{t}"' for s, t in rows)
            if tables:
                # Replica mode silences triggers, such as the audit log's refusal to be truncated.
                await connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
                await connection.execute(sa.text(f"TRUNCATE {tables}"))
    finally:
        await engine.dispose()


ServerLogs = Callable[[str], AbstractContextManager[Path]]


@pytest.fixture(scope="session")
def server_logs(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> ServerLogs:
    """``with server_logs(name) as path``: a file for a server's output, scanned for secrets
    at the end of the block (once the server stopped)."""
    folder = tmp_path_factory.mktemp("server-logs")
    scanner = pytestconfig.stash.get(LOG_SCANNER, None)

    @contextmanager
    def log_of(name: str) -> Iterator[Path]:
        path = folder / f"{name}.log"
        yield path
        if scanner is not None and path.exists():
            scanner.check(path.read_text(errors="replace"), source=f"the output of {name}")
            scanner.files += 1
            path.rename(path.with_suffix(".scanned"))  # not read again at the end

    return log_of


@pytest.fixture(scope="session")
def kafka(server_logs: ServerLogs) -> Iterator[TansuBroker]:
    with server_logs("the tansu broker") as log_path:
        broker = start_tansu(log_path=log_path)
        yield broker
        broker.stop()


@pytest.fixture
def own_broker() -> Iterator[TansuBroker]:
    """A broker of the test's own: the session broker carries every earlier test's events,
    which a consumer joining late would have to wade through first."""
    broker = start_tansu()
    yield broker
    broker.stop()


async def read_topic(
    bootstrap_servers: str, topic: str, *, count: int, within: float = 30.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """The first ``count`` records of every partition of ``topic``, read without a group (no
    join to wait for), in partition then offset order."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, auto_offset_reset="earliest")
    await consumer.start()
    found: list[ConsumerRecord[bytes, bytes]] = []
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(DEFAULT_PARTITIONS)])
        async with asyncio.timeout(within):
            while len(found) < count:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    found += records
    finally:
        await consumer.stop()
    return sorted(found, key=lambda r: (r.partition, r.offset))


@dataclass
class Messaging:
    """A throwaway schema holding the ``outbox`` and ``inbox`` tables, and a sessionmaker
    whose connections see that schema."""

    schema: str
    tables: MessagingTables
    sessionmaker: async_sessionmaker[AsyncSession]

    async def scalar(self, query: str) -> Any:
        async with self.sessionmaker() as session:
            return await session.scalar(sa.text(query))

    async def execute(self, statement: str) -> None:
        async with self.sessionmaker.begin() as session:
            await session.execute(sa.text(statement))


@pytest.fixture
async def messaging(database_url: str) -> AsyncIterator[Messaging]:
    """A schema of the test's own in the session database, dropped after it: tests of the
    outbox and the consumers commit, and a relay publishes every unsent row of its table."""
    schema = f"messaging_{uuid.uuid4().hex[:10]}"
    metadata = schema_metadata(schema)
    tables = MessagingTables(metadata)
    engine = create_engine(database_url, schema=schema)
    try:
        async with engine.begin() as connection:
            await connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
            await connection.run_sync(metadata.create_all)
        yield Messaging(schema, tables, create_sessionmaker(engine))
        async with engine.begin() as connection:
            await connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def s3_server(server_logs: ServerLogs) -> Iterator[S3Server]:
    """A moto S3 API server, one for the session; tests isolate themselves by bucket."""
    with server_logs("the moto S3 server") as log_path:
        server = start_s3_server(log_path=log_path)
        yield server
        server.stop()


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> SoftHsm:
    """A SoftHSM2 token for the session; tests keep apart by key labels. Skipped where
    SoftHSM2 is not installed, but failing in CI (``CI=true``), which installs it."""
    try:
        return start_softhsm(tmp_path_factory.mktemp("softhsm"))
    except SoftHsmMissing as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(str(exc))
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def token_private_key() -> str:
    return generate_private_key_pem()


@pytest.fixture(scope="session")
def token_public_key(token_private_key: str) -> str:
    return public_key_pem(token_private_key)


@pytest.fixture(scope="session")
def token_signer(token_private_key: str) -> InternalTokenSigner:
    return InternalTokenSigner(token_private_key, issuer=TOKEN_ISSUER)


@pytest.fixture(scope="session")
def service_private_key() -> str:
    """The internal service identity's key (``HDH_SERVICE_TOKEN_PRIVATE_KEY``)."""
    return generate_private_key_pem()


@pytest.fixture(scope="session")
def service_signer(service_private_key: str) -> InternalTokenSigner:
    return InternalTokenSigner(service_private_key, issuer=SERVICE_TOKEN_ISSUER)


TokenFactory = Callable[..., str]


@pytest.fixture(scope="session")
def make_token(
    token_signer: InternalTokenSigner, service_signer: InternalTokenSigner
) -> TokenFactory:
    """``make_token("catalog", "producer", sub="paul", org="aphp")``: an internal token, as
    the gateway signs it; with the ``system`` role, as a service signs it (the gateway never
    gives that role)."""

    def make(
        audience: str,
        *roles: str,
        sub: str = "tester",
        org: str | None = None,
        now: float | None = None,
    ) -> str:
        principal = Principal(
            subject=sub, roles=frozenset(Role(r) for r in roles), organisation=org
        )
        signer = service_signer if Role.SYSTEM in principal.roles else token_signer
        return signer.sign(principal, audience=audience, now=now)

    return make


def bearer(token: str) -> dict[str, str]:
    """The ``Authorization`` header carrying ``token``."""
    return {"Authorization": f"Bearer {token}"}


async def eventually(
    check: Callable[[], Awaitable[bool]], *, within: float = 30.0, interval: float = 0.1
) -> None:
    """Wait until ``check()`` is true; fail after ``within`` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{getattr(check, '__name__', check)} not met in {within} s")
        await asyncio.sleep(interval)


def service_settings(service: str, **overrides: Any) -> Any:
    """The settings class of ``service`` (imported lazily), with test overrides."""
    module = __import__(f"{service}.config", fromlist=["Settings"])
    return module.Settings(**overrides)


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An app with its lifespan running, and an HTTP client speaking to it over ASGI."""
    # Generous timeouts: on a loaded 2-core machine a consumer still joining its group takes
    # seconds to stop, and the app itself gives its workers up to 5 s.
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def scraped(client: httpx.AsyncClient, name: str, **labels: str) -> float | None:
    """The value of the sample ``name`` with ``labels`` on ``client``'s ``/metrics`` (None
    when there is none)."""
    text = (await client.get("/metrics")).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                return float(sample.value)
    return None


SettingsFactory = Callable[..., Any]


@pytest.fixture
def make_settings(
    clean_database: str,
    kafka: TansuBroker,
    token_public_key: str,
    service_private_key: str,
    tmp_path: Any,
) -> SettingsFactory:
    """``make_settings("catalog", **overrides)``: a service's settings wired to the test servers."""

    def make(service: str, **overrides: Any) -> Any:
        defaults: dict[str, Any] = {
            "database_url": clean_database,
            "kafka_bootstrap_servers": kafka.bootstrap_servers,
            "internal_token_public_key": token_public_key,
            "service_token_private_key": service_private_key,
            "storage_path": tmp_path / "objects",
            "outbox_poll_interval": 0.1,
            # dev: keys a service would require in production are generated under tmp_path
            "environment": "dev",
            "audit_signing_key_file": tmp_path / "keys" / "audit-signing.pem",
            "linkage_master_key_path": tmp_path / "keys" / "linkage-master.key",
        }
        return service_settings(service, **(defaults | overrides))

    return make


@asynccontextmanager
async def serve_http(
    app: Any, *, port: int | None = None, tls: tuple[Path, Path] | None = None
) -> AsyncIterator[str]:
    """``app`` served over real HTTP by uvicorn on a free port, in this event loop; over
    HTTPS with ``tls`` (certificate chain file, key file)."""
    port = port or free_port()
    certfile, keyfile = tls or (None, None)
    # no proxy headers: the gateway alone decides whom it trusts (HDH_TRUSTED_PROXIES)
    config = uvicorn.Config(
        app,
        port=port,
        log_config=None,
        lifespan="on",
        access_log=False,
        proxy_headers=False,
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError(f"the server on port {port} stopped before it started")
        await asyncio.sleep(0.02)
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class AccessRights:
    """The access service's live-rights answer as another service meets it over HTTP: every
    subject reads every grant but those ``refused``; ``asked`` records the questions."""

    url: str = ""
    refused: set[str] = field(default_factory=set)
    asked: list[tuple[uuid.UUID, str]] = field(default_factory=list)


@asynccontextmanager
async def serve_access_rights(
    caller: str, token_public_key: str, service_private_key: str
) -> AsyncIterator[AccessRights]:
    """``GET /access/grants/{id}/readers/{subject}`` over HTTP, answering the internal
    identity ``caller`` only (the whole path, with the real access service, runs in
    ``tests/security``)."""
    verifier = InternalTokenVerifier(
        token_public_key,
        issuer="hdh-gateway",
        audience="access",
        service_public_pem=public_key_pem(service_private_key),
    )
    rights = AccessRights()
    app = FastAPI()

    @app.get("/access/grants/{grant_id}/readers/{subject}")
    async def readers(grant_id: uuid.UUID, subject: str, request: Request) -> ReaderRights:
        token = request.headers["authorization"].removeprefix("Bearer ")
        principal = verifier.verify(token)
        assert principal.roles == {Role.SYSTEM} and principal.subject == caller
        rights.asked.append((grant_id, subject))
        allowed = subject not in rights.refused
        reason = None if allowed else "Not a reader of the grant now."
        return ReaderRights(
            grant_id=grant_id, project_id=None, subject=subject, allowed=allowed, reason=reason
        )

    async with serve_http(app) as url:
        rights.url = url
        yield rights


@dataclass
class Platform:
    """The five services and the gateway (dev issuer on), each over HTTP on loopback."""

    url: str
    services: dict[str, str]
    gateway_settings: Any
    service_key: str
    """Signs the services' own tokens (``hdh_common.identity.service_principal``)."""

    async def token(self, username: str) -> str:
        """An access token of a demo account (password grant of the dev issuer)."""
        form = {"grant_type": "password", "client_id": "hdh-web"}
        form |= {"username": username, "password": username}
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as client:
            response = await client.post("/idp/token", data=form)
        response.raise_for_status()
        return str(response.json()["access_token"])


@asynccontextmanager
async def running_platform(
    *,
    database_url: str,
    private_key: str,
    folder: Path,
    server_logs: ServerLogs,
    **gateway_overrides: Any,
) -> AsyncIterator[Platform]:
    """The whole platform on a broker of its own."""
    from gateway.config import Settings as GatewaySettings
    from gateway.main import create_app as create_gateway

    with server_logs(f"the platform's broker ({folder.name})") as log_path:
        broker = start_tansu(log_path=log_path)
        try:
            ports = {name: free_port() for name in ("gateway", *SERVICES)}
            service_key = generate_private_key_pem()
            wiring = platform_wiring(
                database_url=database_url,
                bootstrap_servers=broker.bootstrap_servers,
                data_dir=folder,
                private_key=private_key,
                service_key=service_key,
                urls={name: f"http://127.0.0.1:{port}" for name, port in ports.items()},
            )
            async with AsyncExitStack() as stack:
                services: dict[str, str] = {}
                for service in SERVICES:
                    settings = service_settings(service, **(wiring.services | PLATFORM_SETTINGS))
                    app = __import__(f"{service}.main", fromlist=["create_app"]).create_app(
                        settings
                    )
                    services[service] = await stack.enter_async_context(
                        serve_http(app, port=ports[service])
                    )
                gateway_settings = GatewaySettings(**(wiring.gateway | gateway_overrides))
                url = await stack.enter_async_context(
                    serve_http(create_gateway(gateway_settings), port=ports["gateway"])
                )
                yield Platform(
                    url=url,
                    services=services,
                    gateway_settings=gateway_settings,
                    service_key=service_key,
                )
        finally:
            broker.stop()


@pytest.fixture(scope="module")
def platform_overrides() -> dict[str, Any]:
    """Gateway settings of the module's ``platform``; a test module overrides this fixture."""
    return {}


@pytest.fixture(scope="module")
async def platform(
    token_private_key: str,
    server_logs: ServerLogs,
    tmp_path_factory: pytest.TempPathFactory,
    platform_overrides: dict[str, Any],
) -> AsyncIterator[Platform]:
    """The whole platform, shared by the tests of one module, on a database of its own: its
    relays must not publish what other tests write to the session database."""
    with no_relay_left():
        async with (
            fresh_database("hdh_platform") as database_url,
            running_platform(
                database_url=database_url,
                private_key=token_private_key,
                folder=tmp_path_factory.mktemp("platform"),
                server_logs=server_logs,
                **platform_overrides,
            ) as found,
        ):
            yield found


@pytest.fixture(scope="session")
def spark() -> Any:
    """One local Spark (two cores) for the session's differential tests of the Spark engine."""
    from hdh_common.spark import get_session  # pyspark only where a test asks for it

    return get_session("local[2]", "hdh-tests")

"""Faults survived with nothing lost: the broker, a service, the database and S3 each fail
under traffic, through the gateway of a platform whose parts run as their own processes.

The database, the broker and the S3 server sit behind TCP relays the test cuts (every
connection dropped, new ones refused) and restores: to a service, that is the server
restarting (a stopped in-memory Tansu or moto would also forget what it held, which a
real Kafka or S3 does not). After each fault: every outbox drained, the audit sequence
without gaps, and every request the gateway answered with a success in the audit log.
"""

import asyncio
import hashlib
import os
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from hdh_common.identity import generate_private_key_pem
from hdh_dev.broker import start_tansu
from hdh_dev.processes import free_port, stop_group
from hdh_dev.s3server import S3Server
from hdh_dev.tcpproxy import TcpProxy
from hdh_dev.testing import bearer, eventually, fresh_database
from hdh_dev.up import Child, LauncherSettings, serve, start_apps, urls, wait_ready
from hdh_dev.wiring import SERVICES, as_env, platform_wiring

ACCESS_KEY, SECRET_KEY = "faults-access", "faults-secret"
SCHEMAS = ("catalog", "access", "linkage", "audit", "workspace")
CSV = b"PAT_ID,AGE\n" + b"".join(f"P{i:05d},{i % 90}\n".encode() for i in range(5000))
TABLE = {
    "name": "FAULT_PATIENT",
    "primaryKey": "PAT_ID",
    "fields": [{"name": "PAT_ID", "type": "string"}, {"name": "AGE", "type": "integer"}],
}


@dataclass
class Platform:
    gateway: str
    settings: LauncherSettings
    service_env: dict[str, str]
    children: dict[str, Child]
    database: TcpProxy
    broker: TcpProxy
    s3: TcpProxy
    engine: AsyncEngine
    tokens: dict[str, str] = field(default_factory=dict)
    succeeded: set[str] = field(default_factory=set)

    def headers(self, user: str) -> dict[str, str]:
        return bearer(self.tokens[user])

    def kill(self, name: str) -> None:
        process = self.children[name].process
        process.kill()
        process.wait()

    def restart(self, name: str) -> None:
        logs = self.settings.data_dir / "logs"
        self.children[name] = serve(name, self.settings.port(name), env=self.service_env, logs=logs)

    async def call(
        self, http: httpx.AsyncClient, user: str, method: str, path: str, **kwargs: Any
    ) -> httpx.Response:
        headers = kwargs.pop("headers", {}) | self.headers(user)
        response = await http.request(method, path, headers=headers, **kwargs)
        if response.is_success:
            self.succeeded.add(response.headers["X-Request-ID"])
        return response

    async def traffic(self, http: httpx.AsyncClient, seconds: float) -> list[httpx.Response]:
        """Producers registering datasets (writes and events) and researchers searching."""
        answers: list[httpx.Response] = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            body = {"slug": f"f-{uuid.uuid4().hex[:10]}", "title": "Faults", "publisher": "aphp"}
            answers.append(await self.call(http, "paul", "POST", "/catalog/datasets", json=body))
            answers.append(
                await self.call(http, "alice", "GET", "/catalog/search", params={"q": "faults"})
            )
            answers.append(await self.call(http, "odile", "GET", "/audit/tree-head"))
            await asyncio.sleep(0.05)
        return answers

    async def scalar(self, query: str) -> Any:
        async with self.engine.connect() as connection:
            return await connection.scalar(sa.text(query))

    async def nothing_lost(self, timeout: float = 90.0) -> None:
        """Outboxes drained, the audit sequence gapless, every success in the audit log."""
        deadline = time.monotonic() + timeout
        while True:
            unsent = [
                await self.scalar(f"SELECT count(*) FROM {s}.outbox WHERE sent_at IS NULL")
                for s in ("catalog", "access", "linkage")
            ]
            async with self.engine.connect() as connection:
                logged = set(
                    await connection.scalars(
                        sa.text(
                            "SELECT request_id FROM audit.entry"
                            " WHERE action = 'hdh.gateway.request.completed.v1'"
                        )
                    )
                )
            missing = self.succeeded - logged
            if unsent == [0, 0, 0] and not missing:
                break
            assert time.monotonic() < deadline, f"unsent {unsent}, {len(missing)} not audited"
            await asyncio.sleep(0.5)
        count, low, high = (
            await self.scalar("SELECT count(*) FROM audit.entry"),
            await self.scalar("SELECT min(seq) FROM audit.entry"),
            await self.scalar("SELECT max(seq) FROM audit.entry"),
        )
        assert high - low + 1 == count, f"gaps in the audit sequence: {count} in {low}..{high}"


async def login(gateway: str, user: str) -> str:
    async with httpx.AsyncClient(base_url=gateway) as http:
        form = {"grant_type": "password", "client_id": "hdh-web", "username": user}
        response = await http.post("/idp/token", data=form | {"password": user})
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])


@pytest.fixture(scope="module")
async def platform(
    tmp_path_factory: pytest.TempPathFactory, s3_server: S3Server
) -> AsyncIterator[Platform]:
    data_dir = tmp_path_factory.mktemp("faults")
    async with fresh_database("hdh_faults") as direct:
        database = sa.make_url(direct)
        database_proxy = TcpProxy(port=free_port(), target_port=database.port or 5432)
        advertised = free_port()
        tansu = start_tansu(advertised_port=advertised, log_path=data_dir / "tansu.log")
        broker_proxy = TcpProxy(port=advertised, target_port=tansu.port)
        s3_proxy = TcpProxy(port=free_port(), target_port=s3_server.port)
        for proxy in (database_proxy, broker_proxy, s3_proxy):
            await proxy.start()
        ports = {f"{part}_port": free_port() for part in ("gateway", *SERVICES)}
        settings = LauncherSettings(data_dir=data_dir, **ports)
        wiring = platform_wiring(
            database_url=database.set(port=database_proxy.port).render_as_string(
                hide_password=False
            ),
            bootstrap_servers=f"127.0.0.1:{advertised}",
            data_dir=data_dir,
            private_key=generate_private_key_pem(),
            service_key=generate_private_key_pem(),
            urls=urls(settings),
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("HDH_")} | as_env(
            {
                "storage_backend": "s3",
                "s3_endpoint": f"127.0.0.1:{s3_proxy.port}",
                "s3_access_key": ACCESS_KEY,
                "s3_secret_key": SECRET_KEY,
            }
        )
        (data_dir / "logs").mkdir()
        engine = create_async_engine(direct)
        with ExitStack() as stack:
            stack.callback(tansu.stop)
            children = {
                c.name: c for c in start_apps(settings, env=env, wiring=wiring, stack=stack)
            }
            found = Platform(
                gateway=wiring.gateway["public_url"],
                settings=settings,
                service_env=env | wiring.service_env(),
                children=children,
                database=database_proxy,
                broker=broker_proxy,
                s3=s3_proxy,
                engine=engine,
            )
            # restarted children too
            stack.callback(lambda: [stop_group(c.process, timeout=10) for c in children.values()])
            await asyncio.to_thread(
                wait_ready, found.gateway, children=list(children.values()), timeout=90
            )
            for user in ("paul", "alice", "odile"):
                found.tokens[user] = await login(found.gateway, user)
            yield found
        await engine.dispose()
        for proxy in (database_proxy, broker_proxy, s3_proxy):
            await proxy.cut()


def problems(answers: list[httpx.Response]) -> set[tuple[int, str]]:
    """The failures among ``answers``: each must be a problem+json 5xx, never a bare 500."""
    found = set()
    for answer in answers:
        if answer.is_success:
            continue
        assert answer.headers["content-type"].startswith("application/problem+json"), answer.text
        found.add((answer.status_code, answer.json()["type"]))
    return found


async def test_a_broker_outage_under_traffic_loses_nothing(platform: Platform) -> None:
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=30) as http:
        before = await platform.traffic(http, 3)
        await platform.broker.cut()
        during = await platform.traffic(http, 8)
        await platform.broker.start()
        after = await platform.traffic(http, 3)
    assert all(a.is_success for a in before + during + after), problems(before + during + after)
    await platform.nothing_lost()
    # every dataset registered, during the outage too, reached the access service
    registered = await platform.scalar("SELECT count(*) FROM catalog.dataset")

    async def all_reached_access() -> bool:
        return bool(await platform.scalar("SELECT count(*) FROM access.dataset_ref") == registered)

    await eventually(all_reached_access, within=60, interval=0.5)


async def test_a_killed_service_is_503_while_the_others_keep_working(platform: Platform) -> None:
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=30) as http:
        platform.kill("catalog")
        down = await platform.call(http, "alice", "GET", "/catalog/datasets")
        others = await platform.call(http, "odile", "GET", "/audit/tree-head")
        register = await http.get("/access/register")
        assert down.status_code == 503, down.text
        assert down.headers["content-type"].startswith("application/problem+json")
        assert "catalog" in down.json()["detail"]
        assert (others.status_code, register.status_code) == (200, 200)
        platform.restart("catalog")

        async def catalogue_back() -> bool:
            answer = await platform.call(http, "alice", "GET", "/catalog/datasets")
            return answer.status_code == 200

        await eventually(catalogue_back, within=60, interval=0.5)
        assert all(a.is_success for a in await platform.traffic(http, 2))
    await platform.nothing_lost()


async def test_a_consumer_killed_mid_stream_applies_each_event_once(platform: Platform) -> None:
    """The audit service, killed (SIGKILL) while it ingests, restarts and redelivered events
    are appended once: no duplicate, no gap, nothing missing."""
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=30) as http:
        traffic = asyncio.create_task(platform.traffic(http, 6))
        await asyncio.sleep(2)
        platform.kill("audit")
        await asyncio.sleep(1)
        platform.restart("audit")
        answers = await traffic
    assert all(
        a.is_success or (a.status_code == 503 and a.url.path.startswith("/audit")) for a in answers
    ), problems(answers)
    await platform.nothing_lost()
    duplicates = await platform.scalar(
        "SELECT count(*) - count(DISTINCT event_id) FROM audit.entry"
    )
    assert duplicates == 0


async def test_a_database_restart_is_survived_without_restarting_services(
    platform: Platform,
) -> None:
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=30) as http:
        assert all(a.is_success for a in await platform.traffic(http, 2))
        await platform.database.cut()
        during = await platform.traffic(http, 3)
        await platform.database.start()
        assert problems(during) == {(503, "/problems/service-unavailable")}

        async def reconnected() -> bool:
            return all(a.is_success for a in await platform.traffic(http, 1))

        await eventually(reconnected, within=30, interval=0)
        assert all(a.is_success for a in await platform.traffic(http, 2))
    await platform.nothing_lost()


async def test_s3_gone_during_an_upload_fails_cleanly_and_the_upload_resumes(
    platform: Platform,
) -> None:
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=30) as http:
        body = {"slug": f"f-{uuid.uuid4().hex[:10]}", "title": "Uploads", "publisher": "aphp"}
        dataset = (await platform.call(http, "paul", "POST", "/catalog/datasets", json=body)).json()
        base = f"/catalog/datasets/{dataset['id']}"
        imported = await platform.call(
            http,
            "paul",
            "POST",
            "/catalog/import/table-schema",
            params={"dataset_id": dataset["id"]},
            json=TABLE,
        )
        assert imported.status_code == 200, imported.text
        start = {"table": "FAULT_PATIENT", "size": len(CSV), "sha256": sha256(CSV)}
        upload = (await platform.call(http, "paul", "POST", f"{base}/uploads", json=start)).json()
        half = len(CSV) // 2
        parts = [CSV[:half], CSV[half:]]

        async def put(number: int) -> httpx.Response:
            part = parts[number - 1]
            return await platform.call(
                http,
                "paul",
                "PUT",
                f"{base}/uploads/{upload['id']}/parts/{number}",
                content=part,
                headers={"X-Part-SHA256": sha256(part)},
            )

        assert (await put(1)).status_code == 200
        await platform.s3.cut()
        failed = await put(2)
        await platform.s3.start()
        assert problems([failed]) == {(503, "/problems/service-unavailable")}
        assert (await put(2)).status_code == 200  # the same part, resent
        done = await platform.call(http, "paul", "POST", f"{base}/uploads/{upload['id']}/complete")
        assert done.status_code == 202, done.text
        assert done.json()["status"] == "validated"
    await platform.nothing_lost()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

"""``make soak``: mixed, realistic traffic through the gateway for a bounded time.

A bounded number of concurrent clients, each acting as a demo account with a short think
time between actions: researchers search and browse the catalogue, file requests that
staff and the committee move along, producers upload small files, auditors query the log,
and a researcher now and then asks for what is not theirs (the intended 403s). A probe
measures the audit lag: from a request's answer to its entry in the audit log. Printed at
the end: requests held, errors (anything but the expected status), p50/p95/p99 per route,
the audit lag's p50/p99, and each platform process's RSS at start, peak and end.
"""

import argparse
import asyncio
import csv
import hashlib
import io
import random
import re
import statistics
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import psutil

WEB_CLIENT = "hdh-web"
QUERIES = [
    "acte medical",
    "date de naissance",
    "diagnostic principal",
    "sejour hospitalier",
    "bénéficiaire",
    "medicament",
    "departement de residence",
    "prestation",
    "hopital",
    "sexe",
]
PATIENT = {
    "name": "SOAK_PATIENT",
    "title": "Patients (soak)",
    "primaryKey": "PAT_ID",
    "fields": [
        {"name": "PAT_ID", "type": "string", "description": "Identifiant"},
        {"name": "AGE", "type": "integer", "description": "Âge"},
        {"name": "POIDS", "type": "number", "description": "Poids en kg"},
    ],
}
PDF = b"%PDF-1.4\n% soak document\n%%EOF\n"
_ID = re.compile(r"/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+)(?=/|$)")


def route_of(method: str, path: str) -> str:
    return f"{method} {_ID.sub('/{id}', path.split('?')[0])}"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[int] = field(default_factory=Counter)
    intended: int = 0
    errors: list[str] = field(default_factory=list)
    audit_lags: list[float] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())


class Unexpected(Exception):
    """A response other than the one the action expects."""


@dataclass
class Soak:
    gateway: str
    clients: int = 20
    duration: float = 300.0
    think: float = 0.1
    seed: int = 0
    say: Callable[[str], None] = print
    results: Results = field(default_factory=Results)
    tokens: dict[str, str] = field(default_factory=dict)
    world: dict[str, Any] = field(default_factory=dict)

    # -- plumbing ---------------------------------------------------------------------------

    async def call(
        self,
        http: httpx.AsyncClient,
        user: str | None,
        method: str,
        path: str,
        expected: int = 200,
        *,
        intended: bool = False,
        **kwargs: Any,
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if user is not None:
            headers["Authorization"] = f"Bearer {self.tokens[user]}"
        started = time.perf_counter()
        response = await http.request(method, path, headers=headers, **kwargs)
        self.results.latencies[route_of(method, path)].append(time.perf_counter() - started)
        self.results.statuses[response.status_code] += 1
        if response.status_code != expected:
            message = f"{route_of(method, path)} as {user}: {response.status_code}"
            self.results.errors.append(f"{message} {response.text[:200]}")
            raise Unexpected(message)
        if intended:
            self.results.intended += 1
        return response

    async def login(self, http: httpx.AsyncClient, user: str) -> None:
        form = {"grant_type": "password", "client_id": WEB_CLIENT}
        response = await http.post("/idp/token", data=form | {"username": user, "password": user})
        response.raise_for_status()
        self.tokens[user] = response.json()["access_token"]

    # -- set-up -----------------------------------------------------------------------------

    async def setup(self, http: httpx.AsyncClient) -> None:
        for user in ("alice", "bruno", "paul", "sara", "carl", "odile"):
            await self.login(http, user)
        suffix = uuid.uuid4().hex[:6]
        body = {"slug": f"soak-{suffix}", "title": f"Soak {suffix}", "publisher": "aphp"}
        dataset = (
            await self.call(http, "paul", "POST", "/catalog/datasets", 201, json=body)
        ).json()
        await self.call(
            http,
            "paul",
            "POST",
            "/catalog/import/table-schema",
            params={"dataset_id": dataset["id"]},
            json=PATIENT,
        )
        # published, so that researchers browse it (a draft is for its producers and staff)
        await self.call(http, "sara", "POST", f"/catalog/datasets/{dataset['id']}/publish")
        listed = await self.call(http, "alice", "GET", "/catalog/datasets", params={"limit": 50})
        self.world = {
            "dataset_id": dataset["id"],
            "datasets": [d["id"] for d in listed.json()["items"]],
        }
        # the access service learns of the new table from the catalogue's events
        deadline = time.monotonic() + 60
        while not await self.request_accepted(http):
            if time.monotonic() > deadline:
                raise Unexpected("the access service never learned of the soak dataset")
            await asyncio.sleep(0.5)

    async def request_accepted(self, http: httpx.AsyncClient) -> bool:
        project = await self.project(http)
        response = await http.post(
            "/access/requests",
            json=self.request_body(project),
            headers={"Authorization": f"Bearer {self.tokens['alice']}"},
        )
        return response.status_code == 201

    # -- actions ----------------------------------------------------------------------------

    async def search(self, http: httpx.AsyncClient, rng: random.Random) -> None:
        await self.call(http, "alice", "GET", "/catalog/search", params={"q": rng.choice(QUERIES)})

    async def browse(self, http: httpx.AsyncClient, rng: random.Random) -> None:
        await self.call(http, "bruno", "GET", "/catalog/datasets", params={"limit": 20})
        dataset_id = rng.choice(self.world["datasets"] or [self.world["dataset_id"]])
        await self.call(http, "bruno", "GET", f"/catalog/datasets/{dataset_id}")

    async def project(self, http: httpx.AsyncClient) -> str:
        body = {
            "title": "Soak",
            "summary": "s",
            "lay_summary": "l",
            "purpose": "p",
            "public_interest": "i",
            "organisation": "inserm",
        }
        response = await self.call(http, "alice", "POST", "/access/projects", 201, json=body)
        return str(response.json()["id"])

    def request_body(self, project_id: str) -> dict[str, Any]:
        variables = [{"table": "SOAK_PATIENT", "name": "AGE", "justification": "Age."}]
        return {
            "project_id": project_id,
            "datasets": [{"dataset_id": self.world["dataset_id"], "variables": variables}],
            "period_start": "2020-01-01",
            "period_end": "2021-12-31",
            "expected_duration_months": 6,
            "legal_basis": {"kind": "cnil_authorisation"},
        }

    async def workflow(self, http: httpx.AsyncClient, rng: random.Random) -> None:
        project = await self.project(http)
        body = self.request_body(project)
        request = (
            await self.call(http, "alice", "POST", "/access/requests", 201, json=body)
        ).json()
        url = f"/access/requests/{request['id']}"
        for kind in ("protocol", "data_management_plan"):
            await self.call(
                http,
                "alice",
                "POST",
                f"{url}/documents",
                201,
                params={"kind": kind, "filename": f"{kind}.pdf"},
                content=PDF,
                headers={"Content-Type": "application/pdf"},
            )
        steps = [("alice", "submit", None), ("sara", "request_info", "Précisez la cohorte.")]
        steps += [("alice", "resubmit", None), ("sara", "declare_admissible", None)]
        steps += [("sara", "refer_to_committee", None)]
        version = request["version"]
        for user, transition, reason in steps:
            payload: dict[str, Any] = {"transition": transition, "version": version}
            if reason:
                payload["reason"] = reason
            moved = await self.call(http, user, "POST", f"{url}/transitions", json=payload)
            version = moved.json()["version"]
        await self.call(http, "carl", "GET", url)

    async def upload(self, http: httpx.AsyncClient, rng: random.Random) -> None:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["PAT_ID", "AGE", "POIDS"])
        for i in range(200):
            writer.writerow([f"P{i:05d}", rng.randint(0, 99), round(rng.uniform(3, 150), 1)])
        data = buffer.getvalue().encode()
        base = f"/catalog/datasets/{self.world['dataset_id']}/uploads"
        body = {
            "table": "SOAK_PATIENT",
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        upload = (await self.call(http, "paul", "POST", base, 201, json=body)).json()
        await self.call(
            http,
            "paul",
            "PUT",
            f"{base}/{upload['id']}/parts/1",
            content=data,
            headers={"X-Part-SHA256": hashlib.sha256(data).hexdigest()},
        )
        await self.call(http, "paul", "POST", f"{base}/{upload['id']}/complete", 202)

    async def audit(self, http: httpx.AsyncClient, rng: random.Random) -> None:
        await self.call(http, "odile", "GET", "/audit/entries", params={"limit": 20})
        head = (await self.call(http, "odile", "GET", "/audit/tree-head")).json()
        if head["tree_size"] > 0:
            params = {
                "leaf_index": rng.randrange(head["tree_size"]),
                "tree_size": head["tree_size"],
            }
            await self.call(http, "odile", "GET", "/audit/proofs/inclusion", params=params)

    async def forbidden(self, http: httpx.AsyncClient, rng: random.Random) -> None:
        await self.call(http, "bruno", "GET", "/audit/entries", 403, intended=True)

    # -- running ----------------------------------------------------------------------------

    async def client(self, number: int, deadline: float) -> None:
        rng = random.Random(self.seed * 1000 + number)
        actions: list[tuple[Callable[[httpx.AsyncClient, random.Random], Awaitable[None]], int]]
        actions = [
            (self.search, 30),
            (self.browse, 25),
            (self.audit, 15),
            (self.workflow, 8),
            (self.upload, 5),
            (self.forbidden, 5),
        ]
        functions, weights = zip(*actions, strict=True)
        async with httpx.AsyncClient(base_url=self.gateway, timeout=60) as http:
            while time.monotonic() < deadline:
                action = rng.choices(functions, weights)[0]
                try:
                    await action(http, rng)
                except Unexpected:
                    pass
                except httpx.TransportError as error:
                    self.results.errors.append(f"{action.__name__}: {error!r}")
                await asyncio.sleep(rng.uniform(0, 2 * self.think))

    async def probe(self, deadline: float) -> None:
        """Audit lag: a request answered, then polled for in the log until its entry appears."""
        async with httpx.AsyncClient(base_url=self.gateway, timeout=60) as http:
            while time.monotonic() < deadline:
                response = await self.call(http, "bruno", "GET", "/catalog/datasets")
                answered = time.monotonic()
                request_id = response.headers["X-Request-ID"]
                while time.monotonic() < deadline + 30:
                    found = await http.get(
                        "/audit/entries",
                        params={"request_id": request_id},
                        headers={"Authorization": f"Bearer {self.tokens['odile']}"},
                    )
                    if found.status_code == 200 and found.json()["items"]:
                        self.results.audit_lags.append(time.monotonic() - answered)
                        break
                    await asyncio.sleep(0.05)
                else:
                    self.results.errors.append(f"request {request_id} never reached the audit log")
                await asyncio.sleep(1.0)

    async def run(self) -> Results:
        async with httpx.AsyncClient(base_url=self.gateway, timeout=60) as http:
            await self.setup(http)
        self.say(f"soak: {self.clients} clients for {self.duration:.0f} s through {self.gateway}")
        deadline = time.monotonic() + self.duration
        await asyncio.gather(
            self.probe(deadline), *(self.client(n, deadline) for n in range(self.clients))
        )
        return self.results


class MemoryWatch:
    """RSS of each platform process, sampled every second in a thread: start, peak, end."""

    def __init__(self, processes: dict[str, psutil.Process]) -> None:
        self.processes = processes
        self.start = {name: p.memory_info().rss for name, p in processes.items()}
        self.peak = dict(self.start)
        self.end = dict(self.start)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            self._sample()

    def _sample(self) -> None:
        for name, process in self.processes.items():
            try:
                rss = process.memory_info().rss
            except psutil.Error:
                continue
            self.peak[name] = max(self.peak[name], rss)
            self.end[name] = rss

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


def platform_processes() -> dict[str, psutil.Process]:
    """The gateway and services a `make up` started: uvicorn with ``<part>.main:create_app``."""
    found: dict[str, psutil.Process] = {}
    for process in psutil.process_iter(["cmdline"]):
        for argument in process.info["cmdline"] or []:
            if argument.endswith(".main:create_app"):
                found[argument.split(".")[0]] = process
    return found


def report(results: Results, memory: MemoryWatch | None, seconds: float) -> list[str]:
    mib = 2**20
    lines = [
        f"requests held: {results.requests:,} in {seconds:.0f} s "
        f"({results.requests / max(seconds, 1e-9):.0f}/s); statuses {dict(results.statuses)}",
        f"errors: {len(results.errors)} (intended 4xx: {results.intended})",
    ]
    lines += [f"  {error}" for error in results.errors[:20]]
    lines.append(f"{'route':<58} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for route, values in sorted(results.latencies.items()):
        p50, p95, p99 = (1000 * percentile(values, q) for q in (0.5, 0.95, 0.99))
        lines.append(f"{route:<58} {len(values):>6} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f}")
    lags = results.audit_lags
    if lags:
        lines.append(
            f"audit lag: n={len(lags)} p50 {1000 * statistics.median(lags):.0f} ms, "
            f"p99 {1000 * percentile(lags, 0.99):.0f} ms"
        )
    if memory is not None:
        lines.append(f"{'process':<10} {'start MiB':>10} {'peak MiB':>10} {'end MiB':>10}")
        for name in sorted(memory.start):
            lines.append(
                f"{name:<10} {memory.start[name] / mib:>10.1f} {memory.peak[name] / mib:>10.1f}"
                f" {memory.end[name] / mib:>10.1f}"
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--gateway", default="http://localhost:8000")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=300.0, help="Seconds.")
    args = parser.parse_args(argv)
    processes = platform_processes()
    memory = MemoryWatch(processes) if processes else None
    started = time.monotonic()
    try:
        results = asyncio.run(Soak(args.gateway, args.clients, args.duration).run())
    except (httpx.TransportError, Unexpected) as error:
        print(f"soak could not start: {error}; is `make up` running?")
        return 1
    finally:
        if memory is not None:
            memory.stop()
    for line in report(results, memory, time.monotonic() - started):
        print(line)
    return 1 if results.errors else 0


if __name__ == "__main__":
    sys.exit(main())

"""The access app on real servers, and a small driver of its workflow for the tests."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from access.calendar.dependencies import now
from access.catalog_refs.consumers import on_catalog_event
from access.main import create_app
from access.state import AccessState
from hdh_common.db import create_sessionmaker
from hdh_common.events import CloudEvent
from hdh_dev.processes import free_port
from hdh_dev.testing import SettingsFactory, TokenFactory, bearer, running

PDF = b"%PDF-1.4 protocol"
ROLES = (
    "researcher",
    "producer",
    "hub_staff",
    "committee_member",
    "regulator",
    "auditor",
    "system",
)


@dataclass
class Clock:
    """The app's notion of now; tests move it."""

    instant: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.instant


@dataclass
class Hub:
    client: httpx.AsyncClient
    make_token: TokenFactory
    engine: AsyncEngine
    clock: Clock

    def as_(self, role: str, sub: str | None = None) -> dict[str, str]:
        token = self.make_token("access", role, sub=sub or role, org="org")
        return bearer(token)

    async def dataset(self, tables: dict[str, list[str]] | None = None) -> str:
        dataset_id = str(uuid.uuid4())
        await self.catalog_event(
            "hdh.catalog.dataset.registered.v1",
            {
                "dataset_id": dataset_id,
                "slug": f"ds-{dataset_id[:8]}",
                "title": "DCIR",
                "publisher": "cnam",
            },
        )
        for table, names in (tables or {"patients": ["age", "sex"]}).items():
            await self.catalog_event(
                "hdh.catalog.table.published.v1",
                {
                    "dataset_id": dataset_id,
                    "table": table,
                    "variables": [{"name": n} for n in names],
                },
            )
        return dataset_id

    async def catalog_event(self, type_: str, data: dict[str, Any]) -> None:
        event = CloudEvent(source="/catalog", type=type_, subject="x", data=data)
        async with create_sessionmaker(self.engine).begin() as session:
            await on_catalog_event(cast(AccessState, None), session, event)  # no state used

    async def project(self, sub: str = "alice", **overrides: Any) -> dict[str, Any]:
        body = {
            "title": "Diabète et pollution",
            "summary": "s",
            "lay_summary": "How air pollution changes the risk of diabetes.",
            "purpose": "Study diabetes.",
            "public_interest": "Prevention.",
        } | overrides
        response = await self.client.post(
            "/access/projects", json=body, headers=self.as_("researcher", sub)
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    def request_body(self, project_id: str, dataset_id: str, **overrides: Any) -> dict[str, Any]:
        return {
            "project_id": project_id,
            "datasets": [
                {
                    "dataset_id": dataset_id,
                    "variables": [
                        {"table": "patients", "name": "age", "justification": "Age adjustment."}
                    ],
                }
            ],
            "period_start": "2015-01-01",
            "period_end": "2020-12-31",
            "expected_duration_months": 24,
            "legal_basis": {"kind": "cnil_authorisation"},
        } | overrides

    async def draft(self, sub: str = "alice", **overrides: Any) -> dict[str, Any]:
        project = await self.project(sub)
        dataset_id = await self.dataset()
        body = self.request_body(project["id"], dataset_id, **overrides)
        response = await self.client.post(
            "/access/requests", json=body, headers=self.as_("researcher", sub)
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def upload(
        self,
        request_id: str,
        kind: str,
        role: str = "researcher",
        sub: str = "alice",
        content: bytes = PDF,
    ) -> httpx.Response:
        return await self.client.post(
            f"/access/requests/{request_id}/documents",
            params={"kind": kind, "filename": f"{kind}.pdf"},
            content=content,
            headers=self.as_(role, sub) | {"Content-Type": "application/pdf"},
        )

    async def get(
        self, request_id: str, role: str = "hub_staff", sub: str = "sam"
    ) -> dict[str, Any]:
        response = await self.client.get(
            f"/access/requests/{request_id}", headers=self.as_(role, sub)
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def act(
        self,
        request_id: str,
        transition: str,
        role: str,
        sub: str | None = None,
        reason: str | None = None,
        version: int | None = None,
    ) -> httpx.Response:
        if version is None:
            async with self.engine.connect() as connection:
                version = await connection.scalar(
                    sa.text("SELECT version FROM access.access_request WHERE id = :id"),
                    {"id": request_id},
                )
        body: dict[str, Any] = {"transition": transition, "version": version}
        if reason is not None:
            body["reason"] = reason
        return await self.client.post(
            f"/access/requests/{request_id}/transitions", json=body, headers=self.as_(role, sub)
        )

    async def ok(
        self,
        request_id: str,
        transition: str,
        role: str,
        sub: str | None = None,
        reason: str | None = None,
    ) -> dict[str, Any]:
        response = await self.act(request_id, transition, role, sub, reason)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def record(
        self, request_id: str, what: str, body: dict[str, Any], role: str, sub: str | None = None
    ) -> httpx.Response:
        return await self.client.post(
            f"/access/requests/{request_id}/{what}", json=body, headers=self.as_(role, sub)
        )

    async def drive_to(self, request_id: str, target: str) -> None:
        """Take the usual path (CNIL authorisation) from draft until ``target``."""
        steps = [
            "submitted",
            "admissible",
            "committee_review",
            "regulator_review",
            "authorised",
            "agreement_signed",
            "data_preparation",
            "active",
        ]
        for state in steps[: steps.index(target) + 1]:
            await self.step(request_id, state)

    async def step(self, request_id: str, state: str) -> None:
        if state == "submitted":
            for kind in ("protocol", "data_management_plan"):
                assert (await self.upload(request_id, kind)).status_code == 201
            await self.ok(request_id, "submit", "researcher", "alice")
        elif state == "admissible":
            await self.ok(request_id, "declare_admissible", "hub_staff", "sam")
        elif state == "committee_review":
            await self.ok(request_id, "refer_to_committee", "hub_staff", "sam")
        elif state == "regulator_review":
            opinion = {
                "outcome": "favourable",
                "reference": "CESREES-1",
                "decided_on": "2026-01-05",
                "text": "Sound design.",
            }
            assert (
                await self.record(request_id, "opinions", opinion, "committee_member", "carl")
            ).status_code == 201
            await self.ok(request_id, "forward_to_regulator", "hub_staff", "sam")
        elif state == "authorised":
            decision = {
                "outcome": "authorised",
                "reference": "DR-2026-042",
                "decided_on": "2026-02-01",
            }
            assert (
                await self.record(request_id, "decisions", decision, "regulator", "rita")
            ).status_code == 201
            await self.ok(request_id, "authorise", "regulator", "rita")
        elif state == "agreement_signed":
            document = (
                await self.upload(request_id, "signed_agreement", "hub_staff", "sam")
            ).json()
            agreement = {
                "kind": "data_use_agreement",
                "reference": "DUA-1",
                "signed_on": "2026-02-10",
                "document_id": document["id"],
            }
            assert (
                await self.record(request_id, "agreements", agreement, "hub_staff", "sam")
            ).status_code == 201
            await self.ok(request_id, "sign_agreement", "hub_staff", "sam")
        elif state == "data_preparation":
            await self.ok(request_id, "start_preparation", "hub_staff", "sam")
        elif state == "active":
            await self.ok(request_id, "activate", "system", "linkage")


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Overridden by test modules that need other settings."""
    return {}


@pytest.fixture
def access_app(
    make_settings: SettingsFactory, settings_overrides: dict[str, Any]
) -> tuple[FastAPI, Clock]:
    """The app with no reachable broker unless overridden: events stay in the outbox."""
    defaults = {"kafka_bootstrap_servers": f"127.0.0.1:{free_port()}"}
    app = create_app(make_settings("access", **(defaults | settings_overrides)))
    clock = Clock()
    app.dependency_overrides[now] = clock
    return app, clock


@pytest.fixture
async def hub(
    access_app: tuple[FastAPI, Clock], make_token: TokenFactory, engine: AsyncEngine
) -> AsyncIterator[Hub]:
    app, clock = access_app
    async with running(app) as client:
        yield Hub(client=client, make_token=make_token, engine=engine, clock=clock)


@pytest.fixture
def hub_parts(
    access_app: tuple[FastAPI, Clock], make_token: TokenFactory, clean_database: str
) -> tuple[FastAPI, Clock, TokenFactory, str, type[Hub]]:
    """What a synchronous test needs to build its own :class:`Hub` in its own event loop."""
    app, clock = access_app
    return app, clock, make_token, clean_database, Hub

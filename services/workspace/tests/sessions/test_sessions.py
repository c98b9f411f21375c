"""Notebook sessions on a real JupyterHub: a member with live access starts one, a stranger or
another role cannot, its credentials come from STS (the moto server) with a session policy
that reads only the project's live grants, and revocation, removal or closure stop it on the
hub (the server gone) as well as here."""

import importlib.util
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from hdh_common.db import create_sessionmaker
from hdh_common.events import CloudEvent
from hdh_dev.s3server import S3Server, start_s3_server
from hdh_dev.testing import AccessRights, SettingsFactory, TokenFactory, bearer, eventually, running
from workspace.config import Settings
from workspace.consumers import on_access_event
from workspace.main import create_app
from workspace.sessions.credentials import CredentialIssuer, GrantPrefix, duration, session_policy
from workspace.sessions.hub import JupyterHub
from workspace.sessions.models import NotebookSession
from workspace.sessions.service import SessionBackends, server_name
from workspace.state import WorkspaceState

from ..support import deliver, open_space
from .conftest import HOOKS, Hub
from .policy import allowed

ROLE = "arn:aws:iam::123456789012:role/hdh-sessions"


@asynccontextmanager
async def workspace(
    settings: SettingsFactory, rights: AccessRights, hub: Hub, s3: S3Server
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        settings(
            access_url=rights.url,
            workspace_jupyterhub_url=hub.api_url,
            workspace_jupyterhub_token=hub.token,
            workspace_session_role_arn=ROLE,
            workspace_session_sweep_seconds=0.2,
            s3_endpoint=s3.endpoint,
            s3_access_key="hdh-workspace",
            s3_secret_key="workspace-secret",
        )
    )
    async with running(app) as client:
        yield client


def sessions(project: uuid.UUID) -> str:
    return f"/workspace/projects/{project}/sessions"


async def published(engine: AsyncEngine) -> list[tuple[str, Any]]:
    query = "SELECT payload->>'type', payload->'data' FROM workspace.outbox ORDER BY id"
    async with engine.connect() as connection:
        found = (await connection.execute(sa.text(query))).all()
    return [(t, d) for t, d in found if t.startswith("hdh.workspace.session.")]


def gone(hub: Hub, user: str, project: uuid.UUID) -> Any:
    async def check() -> bool:
        return server_name(project) not in hub.servers(user)

    return check


async def test_a_member_starts_a_session_on_the_hub_others_cannot(
    workspace_settings: SettingsFactory,
    make_token: TokenFactory,
    engine: AsyncEngine,
    access_rights: AccessRights,
    jupyterhub: Hub,
    s3_server: S3Server,
) -> None:
    project = uuid.uuid4()
    grant = await open_space(engine, project, ["alice", "carla"], "PEOPLE")
    await open_space(engine, uuid.uuid4(), ["bruno"], "OTHER")
    alice = bearer(make_token("workspace", "researcher", sub="alice"))
    async with workspace(workspace_settings, access_rights, jupyterhub, s3_server) as client:
        started = await client.post(sessions(project), headers=alice)
        assert started.status_code == 201, started.text
        again = await client.post(sessions(project), headers=alice)
        refused = {
            who: (await client.post(sessions(project), headers=headers)).status_code
            for who, headers in {
                "stranger": bearer(make_token("workspace", "researcher", sub="bruno")),
                "staff": bearer(make_token("workspace", "hub_staff", sub="sara")),
                "partner": bearer(make_token("workspace", "partner", sub="alice")),
                "auditor": bearer(make_token("workspace", "auditor", sub="alice")),
                "no token": {},
            }.items()
        }
        session = started.json()
        server = jupyterhub.servers("alice")[server_name(project)]
        listed = (await client.get(sessions(project), headers=alice)).json()["items"]
        carla = (await client.get(sessions(project), headers=carla_headers(make_token))).json()
        stranger_stop = await client.delete(
            f"{sessions(project)}/{session['id']}",
            headers=bearer(make_token("workspace", "researcher", sub="carla")),
        )
        stopped = await client.delete(f"{sessions(project)}/{session['id']}", headers=alice)
        assert server_name(project) not in jupyterhub.servers("alice")
    assert (again.status_code, again.json()["type"]) == (409, "/problems/conflict")
    assert refused == {
        "stranger": 404,
        "staff": 403,
        "partner": 403,
        "auditor": 403,
        "no token": 401,
    }
    assert (session["status"], session["subject"], session["grant_ids"]) == (
        "running",
        "alice",
        [str(grant)],
    )
    assert server["url"] == session["path"] == f"/user/alice/{server_name(project)}/"
    assert [s["id"] for s in listed] == [session["id"]]
    assert carla["items"] == []  # a member sees their own sessions only
    assert stranger_stop.status_code == 404
    assert (stopped.json()["status"], stopped.json()["stop_reason"]) == ("stopped", "stopped")
    environment = jupyterhub.environment("alice", server_name(project))
    assert environment["AWS_SESSION_TOKEN"] and environment["HDH_PROJECT_ID"] == str(project)
    assert environment["HDH_PROJECT_PREFIXES"] == f"s3://projects/{project}/grants/{grant}/"
    assert "AWS_SECRET_ACCESS_KEY" not in json.dumps(session)  # credentials go to the hub only
    events = await published(engine)
    assert [t for t, _ in events] == [
        "hdh.workspace.session.started.v1",
        "hdh.workspace.session.stopped.v1",
    ]
    assert events[0][1]["session_id"] == session["id"]
    assert events[0][1]["grant_ids"] == [str(grant)]


def carla_headers(make_token: TokenFactory) -> dict[str, str]:
    return bearer(make_token("workspace", "researcher", sub="carla"))


async def test_a_member_whose_grant_the_access_service_refuses_starts_nothing(
    workspace_settings: SettingsFactory,
    make_token: TokenFactory,
    engine: AsyncEngine,
    access_rights: AccessRights,
    jupyterhub: Hub,
    s3_server: S3Server,
) -> None:
    project = uuid.uuid4()
    await open_space(engine, project, ["alice"], "PEOPLE")
    access_rights.refused.add("alice")
    alice = bearer(make_token("workspace", "researcher", sub="alice"))
    async with workspace(workspace_settings, access_rights, jupyterhub, s3_server) as client:
        answer = await client.post(sessions(project), headers=alice)
    assert answer.status_code == 403
    assert answer.headers["content-type"] == "application/problem+json"
    assert server_name(project) not in jupyterhub.servers("alice")
    assert await published(engine) == []


async def test_revocation_removal_and_closure_stop_the_sessions_on_the_hub(
    workspace_settings: SettingsFactory,
    make_token: TokenFactory,
    engine: AsyncEngine,
    access_rights: AccessRights,
    jupyterhub: Hub,
    s3_server: S3Server,
) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    grant = await open_space(engine, first, ["alice", "carla"], "PEOPLE")
    await open_space(engine, second, ["alice"], "CARE")
    alice = bearer(make_token("workspace", "researcher", sub="alice"))
    async with workspace(workspace_settings, access_rights, jupyterhub, s3_server) as client:
        carla = carla_headers(make_token)
        for project, headers in ((first, alice), (first, carla), (second, alice)):
            assert (await client.post(sessions(project), headers=headers)).status_code == 201

        removal = {"project_id": str(first), "subject": "carla"}
        await deliver(engine, "hdh.access.project.member_removed.v1", removal)
        await eventually(gone(jupyterhub, "carla", first), within=10)
        assert server_name(first) in jupyterhub.servers("alice")

        await deliver(engine, "hdh.access.grant.revoked.v1", {"grant_id": str(grant)})
        await eventually(gone(jupyterhub, "alice", first), within=10)
        assert server_name(second) in jupyterhub.servers("alice")  # another project's grant holds

        await deliver(engine, "hdh.access.project.closed.v1", {"project_id": str(second)})
        await eventually(gone(jupyterhub, "alice", second), within=10)
        staff = bearer(make_token("workspace", "hub_staff", sub="sara"))
        listed = (await client.get(sessions(first), headers=staff)).json()["items"]
    assert {(s["subject"], s["status"], s["stop_reason"]) for s in listed} == {
        ("alice", "stopped", "revoked"),
        ("carla", "stopped", "member_removed"),
    }
    stops = [d for t, d in await published(engine) if t.endswith(".stopped.v1")]
    assert sorted(d["reason"] for d in stops) == ["member_removed", "project_closed", "revoked"]


async def test_the_credentials_read_only_the_projects_live_grants(
    workspace_settings: SettingsFactory,
    make_token: TokenFactory,
    engine: AsyncEngine,
    access_rights: AccessRights,
    jupyterhub: Hub,
    own_s3_server: S3Server,
) -> None:
    s3_server = own_s3_server  # its state dump holds only this test's STS (other tests'
    # objects could make moto's /moto-api/data.json fail)
    project, other = uuid.uuid4(), uuid.uuid4()
    ended = await open_space(engine, project, ["alice"], "OLD")
    await deliver(engine, "hdh.access.grant.revoked.v1", {"grant_id": str(ended)})
    grant = await open_space(engine, project, ["alice"], "PEOPLE")
    foreign = await open_space(engine, other, ["bruno"], "PEOPLE")
    alice = bearer(make_token("workspace", "researcher", sub="alice"))
    async with workspace(workspace_settings, access_rights, jupyterhub, s3_server) as client:
        session = (await client.post(sessions(project), headers=alice)).json()
        await client.delete(f"{sessions(project)}/{session['id']}", headers=alice)
    environment = jupyterhub.environment("alice", server_name(project))
    issued = assumed_role(s3_server, environment["AWS_ACCESS_KEY_ID"])
    assert issued["role_arn"] == ROLE and issued["session_name"] == f"hdh-session-{session['id']}"
    assert issued["session_token"] == environment["AWS_SESSION_TOKEN"]
    policy = json.loads(issued["policy"])
    now = time.time()
    mine = f"arn:aws:s3:::projects/{project}/grants/{grant}/ds/PEOPLE.parquet"
    assert allowed(policy, "s3:GetObject", mine, now=now)
    for action in ("s3:PutObject", "s3:DeleteObject", "s3:GetObjectAcl", "s3:PutObjectAcl"):
        assert not allowed(policy, action, mine, now=now), action
    for key in (
        f"projects/{other}/grants/{foreign}/ds/PEOPLE.parquet",  # another project
        f"projects/{project}/grants/{ended}/ds/OLD.parquet",  # its revoked grant
        f"central/{project}/grants/{grant}/ds/PEOPLE.parquet",  # another bucket
        f"projects/{project}/other/PEOPLE.parquet",
    ):
        assert not allowed(policy, "s3:GetObject", f"arn:aws:s3:::{key}", now=now), key
    bucket = "arn:aws:s3:::projects"
    assert allowed(policy, "s3:ListBucket", bucket, now=now, prefix=f"{project}/grants/{grant}/")
    assert not allowed(policy, "s3:ListBucket", bucket, now=now, prefix=f"{other}/")
    assert not allowed(policy, "s3:ListBucket", bucket, now=now, prefix="")
    assert not allowed(policy, "s3:ListBucket", bucket, now=now)
    after_the_grant = now + 31 * 86400
    assert not allowed(policy, "s3:GetObject", mine, now=after_the_grant)


def assumed_role(s3: S3Server, access_key: str) -> dict[str, Any]:
    """What the moto server's STS issued for ``access_key``, with the session policy it got
    (moto does not enforce session policies: the policy is evaluated in the test)."""
    state = httpx.get(f"http://{s3.endpoint}/moto-api/data.json", timeout=10).json()
    issued = [r for r in state["sts"]["AssumedRole"] if r["access_key_id"] == access_key]
    assert len(issued) == 1
    return dict(issued[0])


async def test_users_reach_their_sessions_but_start_none_themselves(jupyterhub: Hub) -> None:
    """The hub's roles (the chart's ``hdh_hub.configure``): a user's own token cannot start
    or stop a server, with or without credentials; only the workspace's service can."""
    api = jupyterhub.api_url
    async with httpx.AsyncClient(base_url=api, timeout=10) as hub:
        service = {"Authorization": f"token {jupyterhub.token}"}
        created = await hub.post("/users/dora", headers=service)
        minted = await hub.post(
            "/users/dora/tokens",
            json={"note": "test"},
            headers={"Authorization": f"token {jupyterhub.tester_token}"},
        )
        user = {"Authorization": f"token {minted.json()['token']}"}
        own = await hub.get("/users/dora", headers=user)
        options = {"env": {"AWS_SESSION_TOKEN": "forged"}}
        start = await hub.post("/users/dora/servers/pmine", json=options, headers=user)
        other = await hub.get("/users/alice", headers=user)
        services = await hub.get("/services", headers=user)
    assert created.status_code in (201, 409) and minted.status_code == 201, minted.text
    assert own.status_code == 200
    assert start.status_code == 403
    assert other.status_code == 404  # other users do not exist for them
    assert services.status_code == 403
    assert jupyterhub.servers("dora") == {}


def test_the_hub_refuses_a_session_environment_it_was_not_built_for() -> None:
    spec = importlib.util.spec_from_file_location("hdh_hub", HOOKS / "hdh_hub.py")
    assert spec is not None and spec.loader is not None
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    session_environment = hooks.session_environment

    class Spawner:
        def __init__(self, options: dict[str, Any]) -> None:
            self.user_options, self.environment = options, {"KEEP": "1"}

    good = Spawner({"env": {"AWS_SESSION_TOKEN": "t", "HDH_PROJECT_ID": "p"}})
    session_environment(good)
    assert good.environment == {"KEEP": "1", "AWS_SESSION_TOKEN": "t", "HDH_PROJECT_ID": "p"}
    for options in (
        {"env": {"AWS_SESSION_TOKEN": "t", "LD_PRELOAD": "/tmp/x.so"}},
        {"env": {"AWS_ACCESS_KEY_ID": "k"}},  # no credentials of the workspace
        {},
    ):
        with pytest.raises(ValueError):
            session_environment(Spawner(options))


async def test_a_session_whose_credentials_ran_out_is_stopped(
    workspace_settings: SettingsFactory,
    make_token: TokenFactory,
    engine: AsyncEngine,
    access_rights: AccessRights,
    jupyterhub: Hub,
    s3_server: S3Server,
) -> None:
    project = uuid.uuid4()
    await open_space(engine, project, ["alice"], "PEOPLE")
    alice = bearer(make_token("workspace", "researcher", sub="alice"))
    async with workspace(workspace_settings, access_rights, jupyterhub, s3_server) as client:
        session = (await client.post(sessions(project), headers=alice)).json()
        async with engine.begin() as connection:
            await connection.execute(
                sa.text("UPDATE workspace.session SET expires_at = now() WHERE id = :id"),
                {"id": session["id"]},
            )
        await eventually(gone(jupyterhub, "alice", project), within=10)
        listed = (await client.get(sessions(project), headers=alice)).json()["items"]
    assert (listed[0]["status"], listed[0]["stop_reason"]) == ("stopped", "lapsed")


def test_credentials_end_with_the_session_or_the_last_grant_each_grant_at_its_end() -> None:
    now = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    soon = GrantPrefix(uuid.uuid4(), "p/grants/a/", now + timedelta(hours=2))
    later = GrantPrefix(uuid.uuid4(), "p/grants/b/", now + timedelta(days=90))
    eight_hours = timedelta(hours=8)
    assert duration(now=now, longest=eight_hours, grants=[soon, later]) == eight_hours
    assert duration(now=now, longest=eight_hours, grants=[soon]) == timedelta(hours=2)
    ending = GrantPrefix(uuid.uuid4(), "p/grants/c/", now + timedelta(minutes=3))
    assert duration(now=now, longest=eight_hours, grants=[ending]) == timedelta(minutes=15)
    policy = session_policy("projects", [soon, later])
    three_hours = (now + timedelta(hours=3)).timestamp()
    assert not allowed(
        policy, "s3:GetObject", "arn:aws:s3:::projects/p/grants/a/t", now=three_hours
    )
    assert allowed(policy, "s3:GetObject", "arn:aws:s3:::projects/p/grants/b/t", now=three_hours)
    # STS keeps credentials 15 minutes at least; the policy closes a grant at its very end
    last_minute = (ending.ends_at - timedelta(seconds=1)).timestamp()
    past_it = (ending.ends_at + timedelta(seconds=1)).timestamp()
    late = session_policy("projects", [ending])
    assert allowed(late, "s3:GetObject", "arn:aws:s3:::projects/p/grants/c/t", now=last_minute)
    assert not allowed(late, "s3:GetObject", "arn:aws:s3:::projects/p/grants/c/t", now=past_it)


async def test_an_ending_wakes_the_sweeper_once_its_transaction_commits(
    engine: AsyncEngine,
) -> None:
    project = uuid.uuid4()
    grant = await open_space(engine, project, ["alice"], "PEOPLE")
    async with create_sessionmaker(engine).begin() as session:
        session.add(
            NotebookSession(
                project_id=project,
                subject="alice",
                server_name=server_name(project),
                grant_ids=[grant],
                expires_at=datetime.now(UTC) + timedelta(hours=1),
            )
        )
    backends = SessionBackends(
        settings=Settings(),
        hub=cast(JupyterHub, None),
        credentials=cast(CredentialIssuer, None),
    )
    state = cast(WorkspaceState, SimpleNamespace(sessions=backends))
    revoked = CloudEvent(
        source="/access",
        type="hdh.access.grant.revoked.v1",
        subject=str(project),
        data={"grant_id": str(grant)},
    )
    async with create_sessionmaker(engine).begin() as session:
        await on_access_event(state, session, revoked)
        assert not backends.wake.is_set()  # the sweeper would not see the mark yet
    assert backends.wake.is_set()
    async with engine.connect() as connection:
        marked = (
            await connection.execute(sa.text("SELECT status, stop_reason FROM workspace.session"))
        ).one()
    assert tuple(marked) == ("stopping", "revoked")


@pytest.fixture
def own_s3_server(tmp_path: Path) -> Iterator[S3Server]:
    server = start_s3_server(log_path=tmp_path / "moto.log")
    yield server
    server.stop()

"""Acceptance 3: every airlock route against every role: anonymous 401, roles without a part
in the airlock 403, a researcher outside the project 404, checkers only on checker routes,
hub staff only on the overdue list."""

import uuid
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from hdh_dev.testing import AccessRights, TokenFactory, bearer, running
from workspace.main import create_app

from ..support import people, register

OUTSIDERS = ("partner", "producer", "auditor", "committee_member", "regulator")


def airlock_operations(spec: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if "airlock" in operation.get("tags", [])
    ]


def expected(role: str, method: str, path: str) -> int:
    checker_route = path.startswith("/workspace/checks")
    if role == "hub_staff":
        return 200 if path == "/workspace/checks/overdue" else 403
    if role == "output_checker":
        if not checker_route or path == "/workspace/checks/overdue":
            return 403
        return 200 if path == "/workspace/checks" else 404
    if role == "researcher":  # bruno, in no project here
        return 403 if checker_route else 404
    return 403


async def test_every_airlock_route_answers_each_role_as_it_may(
    settings: Any,
    make_token: TokenFactory,
    engine: AsyncEngine,
    objects: Path,
    access_rights: AccessRights,
) -> None:
    project = uuid.uuid4()
    await register(engine, objects, project, ["alice"], PEOPLE=people())
    async with running(create_app(settings)) as client:
        operations = airlock_operations((await client.get("/openapi.json")).json())
        assert len(operations) == 12
        seen: dict[tuple[str, str, str], int] = {}
        for method, path in operations:
            url = path.format(project_id=project, output_id=uuid.uuid4(), request_id=uuid.uuid4())
            body = {
                "output_ids": [str(uuid.uuid4())],
                "description": "d",
                "justification": "j",
                "decision": "approve",
                "comment": "c",
                "name": "t",
                "analysis_id": str(uuid.uuid4()),
            }
            kwargs: dict[str, Any] = {}
            if method == "POST":
                if path.endswith("/files"):
                    kwargs = {"params": {"name": "t", "format": "csv"}, "content": b"a\n1\n"}
                else:
                    kwargs = {"json": {k: body[k] for k in _fields(path)}}
            anonymous = await client.request(method, url, **kwargs)
            seen[("anonymous", method, path)] = anonymous.status_code
            for role in (*OUTSIDERS, "hub_staff", "output_checker", "researcher"):
                headers = bearer(make_token("workspace", role, sub="bruno"))
                response = await client.request(method, url, headers=headers, **kwargs)
                seen[(role, method, path)] = response.status_code
                assert response.status_code < 500
    wrong = {
        key: status
        for key, status in seen.items()
        if status != (401 if key[0] == "anonymous" else expected(*key))
    }
    assert wrong == {}


def _fields(path: str) -> tuple[str, ...]:
    if path.endswith("/reviews"):
        return ("decision", "comment")
    if path.endswith("/release-requests"):
        return ("output_ids", "description", "justification")
    return ("name", "analysis_id")

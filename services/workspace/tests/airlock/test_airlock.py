"""The airlock through the service, on the real database and object store: outputs saved,
checked automatically, decided by two independent checkers, released to the members only."""

import hashlib
import io
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from hdh_common.business_days import add_business_days, french_day
from hdh_dev.testing import AccessRights, TokenFactory, bearer, running
from workspace.main import create_app

from ..support import people, register

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def csv(rows: list[tuple[str, int, int]]) -> bytes:
    lines = ["sex,cohort,persons"] + [f"{s},{c},{n}" for s, c, n in rows]
    return ("\n".join(lines) + "\n").encode()


SMALL = csv([("1", 1920, 4), ("2", 1920, 12), ("1", 1940, 300), ("2", 1940, 310)])
MERGED = csv([("1", 1900, 304), ("2", 1900, 322)])


class Airlock:
    def __init__(self, client: httpx.AsyncClient, make_token: TokenFactory, project: uuid.UUID):
        self.client, self.make_token, self.project = client, make_token, project

    def as_(self, sub: str, *roles: str) -> dict[str, str]:
        return bearer(self.make_token("workspace", *(roles or ("researcher",)), sub=sub))

    async def save(self, content: bytes, *, who: str = "alice", **params: Any) -> httpx.Response:
        params = {"name": "table1", "format": "csv", "persons_column": "persons"} | params
        params = {k: v for k, v in params.items() if v is not None}
        return await self.client.post(
            f"/workspace/projects/{self.project}/outputs/files",
            params=params,
            content=content,
            headers=self.as_(who),
        )

    async def request(self, *output_ids: str, who: str = "alice") -> httpx.Response:
        body = {
            "output_ids": list(output_ids),
            "description": "Table 1.",
            "justification": "Paper.",
        }
        return await self.client.post(
            f"/workspace/projects/{self.project}/release-requests", json=body, headers=self.as_(who)
        )

    async def review(
        self, checker: str, request: str, output: str, decision: str, *roles: str
    ) -> httpx.Response:
        return await self.client.post(
            f"/workspace/checks/{request}/outputs/{output}/reviews",
            json={"decision": decision, "comment": f"{checker}: {decision}"},
            headers=self.as_(checker, *(roles or ("output_checker",))),
        )


@pytest.fixture
async def airlock(
    settings: Any,
    make_token: TokenFactory,
    engine: AsyncEngine,
    objects: Path,
    access_rights: AccessRights,
) -> Any:
    project = uuid.uuid4()
    await register(engine, objects, project, ["alice", "carla"], PEOPLE=people())
    async with running(create_app(settings)) as client:
        yield Airlock(client, make_token, project)


async def test_rejected_then_aggregated_approved_released_to_members_only(
    airlock: Airlock, engine: AsyncEngine
) -> None:
    first = (await airlock.save(SMALL)).json()
    asked = await airlock.request(first["id"])
    assert asked.status_code == 201, asked.text
    request = asked.json()
    [checked] = request["outputs"]
    assert checked["check"]["status"] == "fail"
    assert {
        "rule": "threshold",
        "column": "persons",
        "row": 1,
        "detail": "fewer than 10 persons",
    } in checked["check"]["findings"]
    today = french_day(datetime.now(UTC))
    assert request["due_on"] == add_business_days(today, 5).isoformat()
    queue = (
        await airlock.client.get("/workspace/checks", headers=airlock.as_("olga", "output_checker"))
    ).json()
    assert [r["id"] for r in queue["items"]] == [request["id"]]
    for checker in ("olga", "omar"):
        decided = await airlock.review(checker, request["id"], first["id"], "reject")
        assert decided.status_code == 200, decided.text
    seen = (
        await airlock.client.get(
            f"/workspace/projects/{airlock.project}/release-requests/{request['id']}",
            headers=airlock.as_("alice"),
        )
    ).json()
    assert seen["state"] == "decided" and seen["outputs"][0]["outcome"] == "rejected"
    assert [r["comment"] for r in seen["outputs"][0]["reviews"]] == ["olga: reject", "omar: reject"]

    second = (await airlock.save(MERGED)).json()  # aggregated further: a new version
    assert (second["name"], second["version"]) == ("table1", 2)
    again = (await airlock.request(second["id"])).json()
    assert again["outputs"][0]["check"]["status"] == "pass"
    for checker in ("omar", "olga"):
        await airlock.review(checker, again["id"], second["id"], "approve")
    url = f"/workspace/projects/{airlock.project}/outputs/{second['id']}/download"
    mine = await airlock.client.get(url, headers=airlock.as_("alice"))
    stranger = await airlock.client.get(url, headers=airlock.as_("bruno"))
    refused = await airlock.client.get(
        f"/workspace/projects/{airlock.project}/outputs/{first['id']}/download",
        headers=airlock.as_("alice"),
    )
    assert mine.status_code == 200 and mine.content == MERGED
    assert mine.headers["x-checksum-sha256"] == hashlib.sha256(MERGED).hexdigest()
    assert stranger.status_code == 404
    assert refused.status_code == 409 and refused.json()["type"] == "/problems/output-not-released"
    async with engine.connect() as connection:
        found = await connection.execute(
            sa.text(
                "SELECT payload->>'type' FROM workspace.outbox"
                " WHERE payload->>'type' LIKE 'hdh.workspace.%' ORDER BY id"
            )
        )
        types = [row[0] for row in found]
    for step in (
        "output.saved",
        "release.requested",
        "release.reviewed",
        "output.rejected",
        "release.decided",
        "output.released",
        "output.downloaded",
    ):
        assert f"hdh.workspace.{step}.v1" in types, step


async def test_four_eyes_and_independence(airlock: Airlock) -> None:
    output = (await airlock.save(MERGED)).json()
    request = (await airlock.request(output["id"])).json()
    first = await airlock.review("olga", request["id"], output["id"], "approve")
    twice = await airlock.review("olga", request["id"], output["id"], "approve")
    member = await airlock.review(
        "carla", request["id"], output["id"], "approve", "output_checker", "researcher"
    )
    queue = await airlock.client.get(
        "/workspace/checks", headers=airlock.as_("carla", "output_checker", "researcher")
    )
    assert first.status_code == 200
    assert twice.status_code == 409 and twice.json()["type"] == "/problems/already-decided"
    assert member.status_code == 403
    assert member.json()["type"] == "/problems/checker-not-independent"
    assert queue.json()["items"] == []  # her own project's request is not in her queue
    still = (
        await airlock.client.get(
            f"/workspace/projects/{airlock.project}/release-requests/{request['id']}",
            headers=airlock.as_("alice"),
        )
    ).json()
    assert still["state"] == "in_review" and still["outputs"][0]["reviews"] == []  # undecided


async def test_a_disagreement_goes_to_a_third_checker(airlock: Airlock) -> None:
    output = (await airlock.save(MERGED)).json()
    request = (await airlock.request(output["id"])).json()
    await airlock.review("olga", request["id"], output["id"], "approve")
    split = (await airlock.review("omar", request["id"], output["id"], "reject")).json()
    assert split["state"] == "in_review" and split["outputs"][0]["outcome"] is None
    third = (await airlock.review("oscar", request["id"], output["id"], "reject")).json()
    assert third["state"] == "decided" and third["outputs"][0]["outcome"] == "rejected"


async def test_bad_input_is_a_problem_and_nothing_is_half_created(
    airlock: Airlock, engine: AsyncEngine, objects: Path
) -> None:
    other = uuid.uuid4()
    await register(engine, objects, other, ["bruno"], OTHER=people())
    bruno_output = (
        await Airlock(airlock.client, airlock.make_token, other).save(MERGED, who="bruno")
    ).json()
    cases = [
        (await airlock.save(MERGED, format="xlsx"), 400, "unsupported-format"),
        (await airlock.save(b"x" * (2 * 1024 * 1024 + 1)), 413, "output-too-large"),
        (
            await airlock.save(PNG, name="fig", format="png", persons_column=None),
            400,
            "figure-without-table",
        ),
        (
            await airlock.save(
                b"not a png",
                name="fig",
                format="png",
                persons_column=None,
                table_id=bruno_output["id"],
            ),
            400,
            "figure-without-table",
        ),
        (await airlock.save(MERGED, persons_column="n"), 400, "invalid-output"),
        (await airlock.save(b"GIF89a", format="parquet"), 400, "invalid-output"),
        (await airlock.request(bruno_output["id"]), 404, "not-found"),  # another project's
    ]
    for response, status, problem in cases:
        assert response.status_code == status, response.text
        assert response.json()["type"] == f"/problems/{problem}"
    async with engine.connect() as connection:
        count = (
            await connection.execute(
                sa.text("SELECT count(*) FROM workspace.output WHERE project_id = :p"),
                {"p": airlock.project},
            )
        ).scalar_one()
        requests = (
            await connection.execute(sa.text("SELECT count(*) FROM workspace.release_request"))
        ).scalar_one()
    assert (count, requests) == (0, 0)
    assert not (objects / "projects" / str(airlock.project) / "outputs").exists()


async def test_a_figure_goes_out_with_its_table(airlock: Airlock) -> None:
    table = (await airlock.save(MERGED)).json()
    figure = await airlock.save(
        PNG, name="fig", format="png", persons_column=None, table_id=table["id"]
    )
    assert figure.status_code == 201, figure.text
    alone = await airlock.request(figure.json()["id"])
    together = await airlock.request(figure.json()["id"], table["id"])
    assert alone.status_code == 400 and alone.json()["type"] == "/problems/figure-without-table"
    statuses = {o["output"]["kind"]: o["check"]["status"] for o in together.json()["outputs"]}
    assert statuses == {"table": "pass", "figure": "pass"}


@pytest.mark.parametrize(
    ("table", "carrier"),
    [
        (pa.table({"NIR": ["a", "b"], "persons": [12, 15]}), "NIR"),  # by its name
        (pa.table({"x": ["z", people()["NIR"][7].as_py()], "persons": [12, 15]}), "x"),  # values
    ],
)
async def test_row_level_tables_fail_the_automatic_check(
    airlock: Airlock, table: pa.Table, carrier: str
) -> None:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    output = (await airlock.save(sink.getvalue(), format="parquet")).json()
    check = (await airlock.request(output["id"])).json()["outputs"][0]["check"]
    assert check["status"] == "fail"
    assert f"pseudonyms ({carrier})" in " ".join(check["notes"])


async def test_a_renamed_pseudonym_in_a_csv_output_is_caught(airlock: Airlock) -> None:
    pseudonym = people()["NIR"][3].as_py()
    content = f"who,persons\n{pseudonym},12\nnobody,15\n".encode()
    output = (await airlock.save(content, name="renamed")).json()
    check = (await airlock.request(output["id"])).json()["outputs"][0]["check"]
    assert check["status"] == "fail" and "pseudonyms (who)" in " ".join(check["notes"])


@pytest.mark.parametrize(
    ("submitted", "due"),
    [
        (date(2026, 12, 21), date(2026, 12, 29)),  # Christmas (Friday) is not counted
        (date(2026, 7, 10), date(2026, 7, 20)),  # nor 14 July (Tuesday)
        (date(2026, 4, 30), date(2026, 5, 11)),  # nor 1 and 8 May (Fridays)
    ],
)
def test_the_review_clock_counts_french_business_days(submitted: date, due: date) -> None:
    assert add_business_days(submitted, 5) == due


def test_the_due_day_is_the_french_day_of_submission() -> None:
    from zoneinfo import ZoneInfo

    from hdh_common.business_days import french_day

    late = datetime(2026, 12, 24, 23, 30, tzinfo=ZoneInfo("UTC"))  # already the 25th in Paris
    assert french_day(late) == date(2026, 12, 25)

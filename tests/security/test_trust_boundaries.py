"""The trust-boundary findings, replayed end to end through the gateway of the platform as
`make up` starts it, as an attacker and as a careless insider would try them.

The journey of `make demo` runs first (upload, request, grant, extract), with a careless
producer who adds a column of clear NIRs declared "not an identifier"; then each finding is
tried again and must be refused.
"""

import asyncio
import io
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from hdh_common.identity import SERVICE_TOKEN_ISSUER, InternalTokenSigner, service_principal
from hdh_dev.demo import ASKED, ROW_LEVEL_REFUSED, Journey
from hdh_dev.launching import Launcher, LaunchFactory
from hdh_dev.processes import free_port
from hdh_dev.testing import bearer
from linkage.identifiers.nir import with_key

CLEAR = "NUM_DOSSIER"


@dataclass
class CarelessProducer(Journey):
    """The demo's producer, who also sends a file number that is the patient's NIR and
    declares it no identifier; the researcher asks for it."""

    asked: dict[str, str] = field(default_factory=lambda: ASKED | {CLEAR: "Retrouver un dossier."})
    nirs: list[str] = field(default_factory=list)

    def schema(self) -> dict[str, Any]:
        schema = super().schema()
        declared = {"name": CLEAR, "type": "string", "identifier": "none"}
        schema["fields"].append(declared | {"identifierKind": "none"})
        return schema

    def sample(self, dataset_id: str) -> bytes:
        table = pa_csv.read_csv(io.BytesIO(super().sample(dataset_id)))
        rng = random.Random(13)
        self.nirs = [
            with_key(f"{rng.choice('12')}{rng.randint(40, 99)}{rng.randint(1, 12):02d}"
                     f"{rng.randint(1, 95):02d}{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}")
            for _ in range(table.num_rows)
        ]  # fmt: skip
        table = table.set_column(table.column_names.index(CLEAR), CLEAR, pa.array(self.nirs))
        sink = io.BytesIO()
        pa_csv.write_csv(table, sink)
        return sink.getvalue()


def partner_token(gateway: str) -> dict[str, str]:
    form = {
        "grant_type": "client_credentials",
        "client_id": "partner-system",
        "client_secret": "partner-secret",
    }
    response = httpx.post(f"{gateway}/idp/token", data=form)
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


async def test_trust_boundaries_hold_end_to_end(launch: LaunchFactory, empty_database: str) -> None:
    launcher = launch(HDH_DATABASE_URL=empty_database, HDH_EMBEDDED_KAFKA_PORT=str(free_port()))
    await asyncio.to_thread(launcher.wait_ready)
    journey = CarelessProducer(
        launcher.gateway, say=lambda _: None, timeout=90, ends_with_revocation=False
    )
    facts = await asyncio.to_thread(journey.run)

    read = await asyncio.to_thread(workspace_read, launcher, facts["extract"]["id"])
    await asyncio.to_thread(a_clear_identifier_never_leaves_linkage, journey, facts, read)
    await asyncio.to_thread(a_partner_acts_for_no_one_inside, journey, facts)
    await asyncio.to_thread(central_data_is_written_once_from_validated_versions, journey, facts)
    await asyncio.to_thread(a_removed_member_or_revoked_grant_reads_nothing, journey, facts)
    assert await asyncio.to_thread(launcher.interrupt) == 0, launcher.output.read_text()


def workspace_read(launcher: Launcher, file_id: str) -> bytes:
    """The extract file as the workspace service reads it: straight from the linkage
    service, under the platform's service identity."""
    key = (Path(launcher.env["HDH_DATA_DIR"]) / "keys" / "service-token.pem").read_text()
    signer = InternalTokenSigner(key, issuer=SERVICE_TOKEN_ISSUER)
    token = signer.sign(service_principal("workspace"), audience="linkage")
    linkage = f"http://127.0.0.1:{launcher.env['HDH_LINKAGE_PORT']}"
    response = httpx.get(
        f"{linkage}/linkage/extracts/{file_id}/download", headers=bearer(token), timeout=30
    )
    assert response.status_code == 200, response.text
    return response.content


def a_clear_identifier_never_leaves_linkage(
    journey: CarelessProducer, facts: dict[str, Any], content: bytes
) -> None:
    """Finding 2: the column's values identify people, so it is pseudonymised whatever the
    producer declared; the project space gets project pseudonyms, the researcher no rows."""
    received = pq.read_table(io.BytesIO(content)).column(CLEAR).to_pylist()
    assert len(received) == len(journey.nirs)
    assert not set(received) & set(journey.nirs)
    assert all(value and value not in journey.nirs for value in received)
    download = f"/linkage/extracts/{facts['extract']['id']}/download"
    refused = journey.call("alice", "GET", download, 403)
    assert refused.json()["type"] == ROW_LEVEL_REFUSED and b"PAR1" not in refused.content


def a_partner_acts_for_no_one_inside(journey: Journey, facts: dict[str, Any]) -> None:
    """Finding 4 (and 5): the partner client is a partner, not an internal service."""
    partner, client = partner_token(journey.gateway), journey.client
    request = f"/access/requests/{facts['request_id']}"
    forged = {"action": "hdh.access.grant.revoked.v1", "payload": {"by": "sara"}}
    attempts = [
        client.post("/audit/entries", json=forged | {"actor": "sara"}, headers=partner),
        client.post("/audit/entries", json=forged, headers=partner),
        client.post("/access/grants/expiry-sweep", headers=partner),
        client.get(f"/access/grants/{facts['grant_id']}/readers/alice", headers=partner),
        client.get(f"{request}/documents", headers=partner),
        client.get(f"{request}/messages", headers=partner),
        client.post(f"{request}/transitions", json={"transition": "activate", "version": 1},
                    headers=partner),
        client.get(f"/linkage/extracts?project={facts['project_id']}", headers=partner),
        client.get(f"/linkage/extracts/{facts['extract']['id']}/download", headers=partner),
    ]  # fmt: skip
    assert [a.status_code for a in attempts if a.status_code not in (403, 404)] == []
    assert client.get("/catalog/datasets", headers=partner).status_code == 200


def central_data_is_written_once_from_validated_versions(
    journey: Journey, facts: dict[str, Any]
) -> None:
    """Finding 3: hub staff cannot point a job at any object with column flags of their own,
    nor write a central version again."""
    forged = {
        "kind": "pseudonymise",
        "version_id": facts["version_id"],
        "object_key": "uploads/clear.parquet",
        "columns": [{"name": "BEN_NIR_PSA", "identifier": "none"}],
    }
    refused = journey.client.post("/linkage/jobs", json=forged, headers=journey.bearer("sara"))
    assert refused.status_code == 422, refused.text
    again = {"kind": "pseudonymise", "version_id": facts["version_id"]}
    rewrite = journey.client.post("/linkage/jobs", json=again, headers=journey.bearer("sara"))
    assert rewrite.status_code == 409, rewrite.text
    assert rewrite.headers["content-type"] == "application/problem+json"


def a_removed_member_or_revoked_grant_reads_nothing(
    journey: Journey, facts: dict[str, Any]
) -> None:
    """Finding 1: refused on the very next request, without waiting for any event."""
    project = facts["project_id"]
    extracts = f"/linkage/extracts?project={project}"
    journey.login("bruno")
    added = journey.call(
        "alice",
        "POST",
        f"/access/projects/{project}/members",
        201,
        json={"subject": "bruno", "role": "member"},
    )
    assert added.status_code == 201

    def bruno_reads() -> bool:
        return journey.client.get(extracts, headers=journey.bearer("bruno")).status_code == 200

    journey.wait("the new member's access", bruno_reads)  # the grant copy learns of bruno
    journey.call("alice", "DELETE", f"/access/projects/{project}/members/bruno")
    assert journey.client.get(extracts, headers=journey.bearer("bruno")).status_code == 403

    assert journey.client.get(extracts, headers=journey.bearer("alice")).status_code == 200
    journey.call(
        "sara", "POST", f"/access/grants/{facts['grant_id']}/revocation", json={"reason": "Breach."}
    )
    assert journey.client.get(extracts, headers=journey.bearer("alice")).status_code == 403

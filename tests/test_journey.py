"""The whole journey of `make demo`, against the platform as `make up` starts it.

Issue acceptance: a producer's upload is validated and pseudonymised, a researcher's request
goes through staff, committee, regulator and agreement, the grant produces the extract the
researcher sees listed but cannot download, the researcher's query in the project space
answers only safe cells, and the auditor verifies the trail; then staff revoke the grant,
the next query is refused and the extract goes. Everything goes through the gateway with the
demo accounts. The platform exports its traces to an OTLP receiver here: the request that
starts data preparation is one trace from the gateway through the access service and the
broker to the linkage service's consumer.
"""

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from hdh_dev.demo import Journey
from hdh_dev.launching import LaunchFactory
from hdh_dev.otlp import ReceivedSpan, receiving_spans
from hdh_dev.processes import free_port
from hdh_dev.testing import bearer


def preparation_trace(spans: list[ReceivedSpan]) -> list[ReceivedSpan] | None:
    """The trace in which the linkage service consumed the grant, if it has arrived whole."""
    consumed = [
        s
        for s in spans
        if s.service == "hdh-linkage" and s.name == "consume hdh.access.grant.issued.v1"
    ]
    for consumer in consumed:
        trace = {s.span_id: s for s in spans if s.trace_id == consumer.trace_id}
        chain = [consumer]
        while chain[-1].parent_id in trace:
            chain.append(trace[chain[-1].parent_id])
        if chain[-1].service == "hdh-gateway":
            return chain
    return None


def partner_token(gateway: str) -> str:
    response = httpx.post(
        f"{gateway}/idp/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "partner-system",
            "client_secret": "partner-secret",
        },
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.fixture
async def received_spans() -> AsyncIterator[tuple[str, list[ReceivedSpan]]]:
    async with receiving_spans() as received:
        yield received


async def test_upload_to_audited_extract_then_revocation_traced_end_to_end(
    launch: LaunchFactory, empty_database: str, received_spans: tuple[str, list[ReceivedSpan]]
) -> None:
    receiver, spans = received_spans
    launcher = launch(
        HDH_DATABASE_URL=empty_database,
        HDH_EMBEDDED_KAFKA_PORT=str(free_port()),
        OTEL_EXPORTER_OTLP_ENDPOINT=receiver,
    )
    await asyncio.to_thread(launcher.wait_ready)
    printed: list[str] = []
    journey = Journey(launcher.gateway, say=printed.append, timeout=90)

    facts = await asyncio.to_thread(journey.run)

    assert [line.split(":")[0] for line in printed if line.startswith("  ")] == [
        line.split(":")[0] for line in printed if line.startswith("  ok ")
    ]
    assert len([line for line in printed if line.startswith("  ok ")]) == 20
    assert printed[-1] == "journey complete"

    # The journey ended with the grant's revocation: the linkage service removes the extract.
    await asyncio.to_thread(revoked, journey, launcher.gateway, facts)

    # one trace: gateway → access (which wrote the grant's event) → broker → linkage
    deadline = time.monotonic() + 30
    while (chain := preparation_trace(spans)) is None:
        assert time.monotonic() < deadline, sorted({(s.service, s.name) for s in spans})
        await asyncio.sleep(0.5)
    hops = [s for s in chain if s.kind != 1]  # FastAPI's own spans of endpoints aside (INTERNAL)
    assert [(s.service, s.kind) for s in hops] == [
        ("hdh-linkage", 5),  # CONSUMER
        ("hdh-access", 2),  # SERVER
        ("hdh-gateway", 2),  # SERVER
    ]
    assert hops[1].name == "POST /access/requests/{request_id}/transitions"
    assert await asyncio.to_thread(launcher.interrupt) == 0, launcher.output.read_text()


def revoked(journey: Journey, gateway: str, facts: dict[str, Any]) -> None:
    partner = bearer(partner_token(gateway))
    refused = httpx.post(f"{gateway}/access/grants/expiry-sweep", headers=partner)
    assert refused.status_code == 403  # a partner system acts for no one inside
    swept = httpx.post(f"{gateway}/access/grants/expiry-sweep", headers=journey.bearer("sara"))
    assert (swept.status_code, swept.json()) == (200, {"expired": 0})  # revoked, not expired
    extracts = f"/linkage/extracts?project={facts['project_id']}"
    assert journey.client.get(extracts, headers=journey.bearer("alice")).status_code == 403
    deadline = time.monotonic() + 60
    while journey.call("sara", "GET", extracts).json()["items"]:
        assert time.monotonic() < deadline, "the revoked grant's extract was not removed"
        time.sleep(0.5)
    register = journey.client.get("/access/register", params={"limit": 100}).json()["items"]
    assert {e["request_id"]: e["status"] for e in register}[facts["request_id"]] == "revoked"

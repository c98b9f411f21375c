"""How the service deals with its witnesses: one that is down, one whose record is ahead of
what the service remembers (it answers 409 with its size), and bad configuration."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from audit.checkpoints.witnesses import WitnessConfigError, endpoints
from audit.config import Settings
from audit.main import create_app
from audit.treeheads.signing import load_signer
from hdh_dev.otlp import http_calls, receiving_spans
from hdh_dev.processes import free_port
from hdh_dev.testing import eventually, serve_http
from hdh_tlog.checkpoint import Checkpoint
from hdh_tlog.note import ED25519, VerifierKey, parse_note
from hdh_tlog.witness.app import create_app as create_witness_app
from hdh_tlog.witness.core import Witness
from hdh_tlog.witness.store import Store

from .test_c2sp import log_entries

Headers = Callable[..., dict[str, str]]


def witness_for(settings: Settings, folder: Path) -> Witness:
    signer = load_signer(settings)
    return Witness(
        name="w.example/1",
        private_key=Ed25519PrivateKey.generate(),
        logs=[VerifierKey(settings.log_origin, ED25519, signer.public_key)],
        store=Store(folder / "w.sqlite"),
    )


async def cosigned(http: httpx.AsyncClient, size: int) -> bool:
    note = parse_note((await http.get("/audit/checkpoint")).text)
    return Checkpoint.parse(note.text).size == size and len(note.signatures) == 2


async def test_a_witness_down_then_up_and_one_ahead_of_the_service(
    audit_settings: Callable[..., Any],
    sessionmaker: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
    as_role: Headers,
    tmp_path: Path,
) -> None:
    port = free_port()
    base = audit_settings()
    witness = witness_for(base, tmp_path)
    configured = {str(witness.verifier_key): f"http://127.0.0.1:{port}/"}
    settings = audit_settings(audit_witnesses=configured)
    await log_entries(sessionmaker, 3)
    async with (
        serve_http(create_app(settings)) as url,
        httpx.AsyncClient(base_url=url, headers=as_role("researcher")) as http,
    ):
        unwitnessed = parse_note((await http.get("/audit/checkpoint")).text)
        assert len(unwitnessed.signatures) == 1  # the witness is down: served all the same
        async with serve_http(create_witness_app(witness), port=port):
            await eventually(lambda: cosigned(http, 3), within=20, interval=0.05)
            async with engine.begin() as connection:  # the service forgets what was cosigned
                await connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
                await connection.execute(sa.text("DELETE FROM audit.cosignature"))
            await log_entries(sessionmaker, 2)
            # asked from size 0, the witness answers 409 with its size 3; asked again from 3
            await eventually(lambda: cosigned(http, 5), within=20, interval=0.05)


async def test_a_cosignature_request_is_a_client_span_of_the_service(
    audit_settings: Callable[..., Any],
    sessionmaker: async_sessionmaker[AsyncSession],
    as_role: Headers,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "50")  # exported as they end
    witness = witness_for(audit_settings(), tmp_path)
    await log_entries(sessionmaker, 2)
    async with (
        receiving_spans() as (collector, spans),
        serve_http(create_witness_app(witness)) as witness_url,
    ):
        settings = audit_settings(
            audit_witnesses={str(witness.verifier_key): witness_url}, otlp_endpoint=collector
        )
        async with (
            serve_http(create_app(settings)) as url,
            httpx.AsyncClient(base_url=url, headers=as_role("researcher")) as http,
        ):
            await eventually(lambda: cosigned(http, 2), within=20, interval=0.05)
            requests = await http_calls(spans)
    request = requests[0]
    assert (request.kind, request.service, request.name) == (3, "hdh-audit", "POST")
    assert request.attributes == {
        "http.method": "POST",
        "http.url": f"{witness_url}/add-checkpoint",
        "http.status_code": 200,
    }


def test_log_origin_defaults_to_the_public_url() -> None:
    assert Settings(public_url="https://hub.example.fr/").log_origin == "hub.example.fr/audit"
    assert Settings(audit_log_origin="hdh.example/log1").log_origin == "hdh.example/log1"


@pytest.mark.parametrize(
    "vkey",
    [
        "not a key",
        # a note key (type 0x01), not a cosignature key (type 0x04)
        str(VerifierKey("w.example/1", ED25519, bytes(32))),
    ],
)
def test_bad_witness_configuration(vkey: str) -> None:
    with pytest.raises(WitnessConfigError):
        endpoints({vkey: "http://w.example"})

"""The master key in an HSM (SoftHSM2): sealed inside the token, never readable, rotated and
retired while pseudonymisation runs, with every pseudonym unchanged."""

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pkcs11
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from pkcs11 import Attribute, KeyType, Mechanism
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from hdh_common.db import create_sessionmaker
from hdh_common.storage import ObjectStore, create_object_store
from hdh_dev.softhsm import SoftHsm
from hdh_dev.testing import SettingsFactory, TokenFactory, bearer, eventually, running
from linkage.events import Identifier
from linkage.jobs.pipeline import TAGS
from linkage.keys import master as master_keys
from linkage.keys import service as keys
from linkage.keys.cli import main as cli
from linkage.keys.crypto import (
    MasterKeyError,
    MasterKeyUnavailable,
    Sealed,
    new_domain_key,
)
from linkage.keys.hsm import HsmMasterKey
from linkage.keys.models import DomainKey
from linkage.main import create_app

from ..jobs.test_router import central_key_of, land, read_object, validated_people
from ..support import VALID_NIRS, people_table, record_validated


@pytest.fixture
def label() -> str:
    return f"master-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def hsm_master(softhsm: SoftHsm, label: str) -> Iterator[HsmMasterKey]:
    """A master key of one version, generated in the token."""
    master = HsmMasterKey(softhsm.open(), label=label)
    master.add_version()
    yield master
    master.close()


def test_the_master_key_seals_inside_the_token_and_cannot_be_read(
    hsm_master: HsmMasterKey, softhsm: SoftHsm, label: str
) -> None:
    [key] = hsm_master.versions().values()
    assert (key[Attribute.EXTRACTABLE], key[Attribute.SENSITIVE]) == (False, True)
    with pytest.raises(pkcs11.AttributeSensitive):
        key[Attribute.VALUE]
    wrapping = softhsm.open()
    try:
        kek = wrapping.session.generate_key(KeyType.AES, 256, template={Attribute.WRAP: True})
        with pytest.raises(pkcs11.PKCS11Error):
            kek.wrap_key(key, mechanism=Mechanism.AES_KEY_WRAP)
    finally:
        wrapping.close()
    domain_key = new_domain_key()
    sealed = hsm_master.seal(domain_key, domain="central", version=1)
    assert sealed.key_id == f"hsm:{label}:1" and domain_key not in sealed.blob
    assert hsm_master.open(sealed, domain="central", version=1) == domain_key
    with pytest.raises(MasterKeyError):
        hsm_master.open(sealed, domain="central", version=2)
    other = HsmMasterKey(hsm_master.hsm, label=f"{label}-other")
    with pytest.raises(MasterKeyUnavailable):
        other.open(sealed, domain="central", version=1)
    with pytest.raises(MasterKeyError, match="hdh-linkage-master new"):
        other.newest()
    assert label in repr(hsm_master) and "hsm:" not in repr(sealed.blob.hex())


def hsm_settings(
    linkage_settings: SettingsFactory, softhsm: SoftHsm, label: str, **overrides: Any
) -> Any:
    return linkage_settings(
        **softhsm.settings(),
        linkage_master_key="",
        linkage_master_key_label=label,
        **overrides,
    )


async def pseudonymise(
    client: Any, staff: dict[str, str], store: ObjectStore, url: str
) -> list[str | None]:
    """A validated version of the people table, pseudonymised by a job: its NIR column."""
    validated = validated_people(await land(store, people_table()))
    await record_validated(url, validated)
    body = {"version_id": validated["version_id"]}
    created = await client.post("/linkage/jobs", json=body, headers=staff)
    assert created.status_code == 202, created.text

    async def done() -> bool:
        job = (await client.get(f"/linkage/jobs/{created.json()['id']}", headers=staff)).json()
        assert job["state"] != "failed", job
        return bool(job["state"] == "succeeded")

    await eventually(done)
    data = await read_object(store, "central", central_key_of(validated))
    return list(pq.read_table(pa.BufferReader(data)).column("NIR").to_pylist())


async def test_rotation_while_pseudonymisation_runs_changes_no_pseudonym(
    linkage_settings: SettingsFactory,
    softhsm: SoftHsm,
    hsm_master: HsmMasterKey,
    label: str,
    make_token: TokenFactory,
    clean_database: str,
) -> None:
    settings = hsm_settings(linkage_settings, softhsm, label)
    store = create_object_store(settings)
    staff = bearer(make_token("linkage", "hub_staff", sub="steward"))
    engine = create_async_engine(clean_database)
    sessionmaker = create_sessionmaker(engine)
    projects = [keys.project_domain(uuid.uuid4()) for _ in range(3)]
    async with sessionmaker.begin() as session:
        for domain in projects:
            await keys.active_key(session, hsm_master, domain)
        await keys.rotate(session, hsm_master, projects[0], actor="steward")
    async with running(create_app(settings)) as client:
        before = await pseudonymise(client, staff, store, clean_database)
        domain_keys = await every_domain_key(sessionmaker, hsm_master)
        reader = HsmMasterKey(softhsm.open(), label=label)
        reference = await central_nirs(sessionmaker, reader)
        seen: list[list[str | None]] = []
        stop = asyncio.Event()

        async def keep_pseudonymising() -> None:
            while not stop.is_set():
                seen.append(await central_nirs(sessionmaker, reader))
                await asyncio.sleep(0)

        async def operator() -> None:
            old = hsm_master.newest()
            await master_keys.add(sessionmaker, hsm_master, actor="operator:test")
            await master_keys.rotate(sessionmaker, hsm_master, actor="operator:test")
            await master_keys.retire(sessionmaker, hsm_master, old, actor="operator:test")

        loop = asyncio.create_task(keep_pseudonymising())
        during = asyncio.gather(*(pseudonymise(client, staff, store, clean_database) for _ in "ab"))
        await operator()
        stop.set()
        jobs_during, _ = await asyncio.gather(during, loop)
        after = await pseudonymise(client, staff, store, clean_database)
    reader.close()
    assert before == after == jobs_during[0] == jobs_during[1]
    assert len(seen) > 2 and all(nirs == reference for nirs in seen)
    assert set(hsm_master.versions()) == {2}
    async with engine.connect() as connection:
        sealed_under = {
            key_id: count
            for key_id, count in await connection.execute(
                sa.text("SELECT master_key_id, count(*) FROM linkage.domain_key GROUP BY 1")
            )
        }
        events = list(
            await connection.scalars(
                sa.text(
                    "SELECT payload FROM linkage.outbox"
                    " WHERE payload->>'type' LIKE '%master_key%' ORDER BY id"
                )
            )
        )
    await engine.dispose()
    assert sealed_under == {f"hsm:{label}:2": 5} and len(domain_keys) == 5
    assert [(e["type"], e["subject"]) for e in events] == [
        ("hdh.linkage.master_key.added.v1", f"hsm:{label}:2"),
        ("hdh.linkage.master_key.rotated.v1", f"hsm:{label}:2"),
        ("hdh.linkage.master_key.rotated.v1", f"hsm:{label}:2"),
        ("hdh.linkage.master_key.retired.v1", f"hsm:{label}:1"),
    ]
    assert events[1]["data"]["domain_keys_resealed"] == 5
    fresh = HsmMasterKey(softhsm.open(), label=label)
    assert await every_domain_key(sessionmaker, fresh) == domain_keys
    fresh.close()


async def test_a_reader_that_raced_a_retirement_reads_the_row_again(
    hsm_master: HsmMasterKey, softhsm: SoftHsm, label: str, clean_database: str
) -> None:
    engine = create_async_engine(clean_database)
    sessionmaker = create_sessionmaker(engine)
    async with sessionmaker.begin() as session:
        secret = (await keys.active_key(session, hsm_master, keys.CENTRAL)).secret
    reader = HsmMasterKey(softhsm.open(), label=label)
    async with sessionmaker() as session:
        row = await session.scalar(sa.select(DomainKey))
        assert row is not None and row.master_key_id == f"hsm:{label}:1"
        old = hsm_master.newest()
        await master_keys.add(sessionmaker, hsm_master, actor="operator:test")
        await master_keys.retire(sessionmaker, hsm_master, old, actor="operator:test")
        with pytest.raises(MasterKeyUnavailable):
            reader.open(Sealed(old, row.sealed or b""), domain=row.domain, version=1)
        assert await keys._open(session, reader, row) == secret
        assert row.master_key_id == f"hsm:{label}:2"
        with pytest.raises(MasterKeyError, match="seals new domain keys"):
            await master_keys.retire(sessionmaker, hsm_master, row.master_key_id, actor="x")
        with pytest.raises(MasterKeyError, match="not held"):
            await master_keys.retire(sessionmaker, hsm_master, old, actor="x")
    reader.close()
    await engine.dispose()


async def every_domain_key(
    sessionmaker: async_sessionmaker[AsyncSession], master: HsmMasterKey
) -> dict[tuple[str, int], bytes]:
    """Every domain key version (retired ones too), opened."""
    async with sessionmaker() as session:
        rows = await session.scalars(sa.select(DomainKey).where(DomainKey.sealed.is_not(None)))
        return {
            (row.domain, row.version): master.open(
                Sealed(row.master_key_id, row.sealed or b""), domain=row.domain, version=row.version
            )
            for row in rows
        }


async def central_nirs(
    sessionmaker: async_sessionmaker[AsyncSession], master: HsmMasterKey
) -> list[str | None]:
    """The central domain's NIR pseudonyms of the people, keyed in a transaction of its own."""
    async with sessionmaker.begin() as session:
        key = await keys.active_key(session, master, keys.CENTRAL)
    hashed = key.hasher(TAGS[Identifier.NIR]).pseudonyms(pa.array(VALID_NIRS))
    return list(hashed.to_pylist())


def test_the_operator_command_adds_rotates_and_retires(
    hsm_master: HsmMasterKey,
    softhsm: SoftHsm,
    label: str,
    clean_database: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    environment = {
        "HDH_DATABASE_URL": clean_database,
        "HDH_LINKAGE_MASTER_KEY": "",
        "HDH_LINKAGE_MASTER_KEY_LABEL": label,
        **{f"HDH_{name.upper()}": str(value) for name, value in softhsm.settings().items()},
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    def run(*argv: str) -> Any:
        code = cli(["--actor", "operator:ops", *argv])
        output = capsys.readouterr()
        return json.loads(output.out) if code == 0 else (code, output.err)

    first, second = f"hsm:{label}:1", f"hsm:{label}:2"
    assert run("status") == {"newest": first, "sealed": {first: 0}}
    assert run("add") == {"added": second}
    assert run("rotate") == {"key_id": second, "resealed": 0}
    code, error = run("retire", second)
    assert code == 1 and "add a newer version first" in error
    assert run("retire", first) == {"retired": first}
    assert run("status") == {"newest": second, "sealed": {second: 0}}
    monkeypatch.setenv("HDH_HSM_TOKEN_LABEL", "no-such-token")
    code, error = run("status")
    assert (
        code == 1
        and "cannot open a session" in error
        and softhsm.pin.get_secret_value() not in error
    )

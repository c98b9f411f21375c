"""Asking witnesses to cosign each new checkpoint (c2sp.org/tlog-witness ``add-checkpoint``):
the checkpoint goes with a consistency proof from the size each witness last cosigned; the
cosignatures that verify against the witness's configured key are kept."""

import asyncio
import base64
import logging
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from audit.checkpoints import service
from audit.checkpoints.models import Cosignature
from audit.checkpoints.repository import CheckpointRepository
from audit.checkpoints.service import SignedCheckpoint
from audit.config import Settings
from audit.tree import service as tree
from audit.treeheads.signing import Signer
from hdh_common.tracing import Tracing
from hdh_tlog.note import COSIGNATURE_V1, NoteError, VerifierKey, parse_note
from hdh_tlog.signatures import SignatureError, verify_note

logger = logging.getLogger(__name__)


class WitnessConfigError(ValueError):
    """A configured witness is not ``{"<verifier key>": "<URL>"}`` with a cosignature key."""


@dataclass(frozen=True)
class WitnessEndpoint:
    key: VerifierKey
    url: str
    """The submission prefix: ``<url>/add-checkpoint``."""


def endpoints(configured: Mapping[str, str]) -> list[WitnessEndpoint]:
    found = []
    for vkey, url in configured.items():
        try:
            key = VerifierKey.parse(vkey)
        except NoteError as exc:
            raise WitnessConfigError(str(exc)) from exc
        if key.signature_type != COSIGNATURE_V1:
            raise WitnessConfigError(f"{key.name}: a witness key has signature type 0x04")
        found.append(WitnessEndpoint(key, url.rstrip("/")))
    return found


@dataclass(frozen=True)
class Answer:
    status: int
    text: str


@dataclass
class Witnessing:
    """Submits the latest checkpoint to every witness that has not cosigned it yet. A witness
    that refused a checkpoint (4xx) is not asked again about that same checkpoint."""

    sessionmaker: async_sessionmaker[AsyncSession]
    signer: Signer
    origin: str
    witnesses: list[WitnessEndpoint]
    http: httpx.AsyncClient
    refused: dict[WitnessEndpoint, tuple[int, bytes]] = field(default_factory=dict)

    async def run_once(self) -> None:
        async with self.sessionmaker.begin() as session:
            signed = await service.latest(session, self.signer, origin=self.origin)
            pending = await self._pending(session, signed)
        await asyncio.gather(*(self._submit(signed, witness, old) for witness, old in pending))

    async def _pending(
        self, session: AsyncSession, signed: SignedCheckpoint
    ) -> list[tuple[WitnessEndpoint, int]]:
        checkpoint, repository = signed.checkpoint, CheckpointRepository(session)
        rows = await repository.cosignatures(
            origin=self.origin, size=checkpoint.size, root=checkpoint.root
        )
        done = {(row.witness, row.key_id) for row in rows}
        pending = []
        for witness in self.witnesses:
            key = witness.key
            if (key.name, key.key_id) in done:
                continue
            if self.refused.get(witness) == (checkpoint.size, checkpoint.root):
                continue
            old = await repository.last_cosigned_size(
                origin=self.origin, witness=key.name, key_id=key.key_id
            )
            pending.append((witness, min(old, checkpoint.size)))
        return pending

    async def _submit(self, signed: SignedCheckpoint, witness: WitnessEndpoint, old: int) -> None:
        size = signed.checkpoint.size
        answer = await self._post(signed, witness, old)
        if answer is not None and answer.status == 409:
            theirs = _size(answer.text)
            if theirs is not None and theirs != old and theirs <= size:
                answer = await self._post(signed, witness, theirs)
            elif theirs is not None and theirs > size:
                logger.error(
                    "witness %s has cosigned a tree of size %d, larger than this log's %d:"
                    " the log was rolled back or forked",
                    witness.key.name,
                    theirs,
                    size,
                )
        if answer is None:
            return
        if answer.status == 200:
            await self._keep(signed, witness, answer.text)
            return
        logger.error(
            "witness %s refused the checkpoint of size %d (%d): %s",
            witness.key.name,
            size,
            answer.status,
            answer.text.strip()[:200],
        )
        if 400 <= answer.status < 500:
            self.refused[witness] = (size, signed.checkpoint.root)

    async def _post(
        self, signed: SignedCheckpoint, witness: WitnessEndpoint, old: int
    ) -> Answer | None:
        proof = await self._proof(old, signed.checkpoint.size)
        body = "".join([f"old {old}\n", *(f"{line}\n" for line in proof), "\n", signed.note])
        try:
            response = await self.http.post(f"{witness.url}/add-checkpoint", content=body)
        except httpx.HTTPError as exc:
            logger.warning("witness %s could not be reached: %r", witness.key.name, exc)
            return None
        return Answer(response.status_code, response.text)

    async def _proof(self, old: int, size: int) -> list[str]:
        if old in (0, size):
            return []
        async with self.sessionmaker() as session:
            proof = await tree.consistency(session, first=old, second=size)
        return [base64.b64encode(bytes.fromhex(h)).decode() for h in proof.hashes]

    async def _keep(self, signed: SignedCheckpoint, witness: WitnessEndpoint, lines: str) -> None:
        """The cosignatures by the witness's key that verify over this checkpoint."""
        checkpoint = signed.checkpoint
        try:
            note = parse_note(checkpoint.text() + "\n" + lines)
            verify_note(note, [witness.key])
        except (NoteError, SignatureError) as exc:
            logger.error("witness %s answered no valid cosignature: %s", witness.key.name, exc)
            return
        async with self.sessionmaker.begin() as session:
            repository = CheckpointRepository(session)
            for signature in note.signatures:
                if witness.key.matches(signature):
                    row = Cosignature(
                        origin=self.origin,
                        tree_size=checkpoint.size,
                        root_hash=checkpoint.root,
                        witness=signature.name,
                        key_id=signature.key_id,
                        signature=signature.data,
                    )
                    await repository.add_cosignature(row)


def _size(text: str) -> int | None:
    value = text.strip()
    return int(value) if value.isdigit() and len(value) < 20 else None


def cosigning_loops(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    signer: Signer,
    tracing: Tracing,
) -> list[Coroutine[Any, Any, None]]:
    """The background loop that asks the configured witnesses, if any are."""
    witnesses = endpoints(settings.audit_witnesses)
    if not witnesses:
        return []
    witnessing = partial(
        Witnessing, sessionmaker=sessionmaker, signer=signer, origin=settings.log_origin
    )
    return [
        cosign_periodically(
            witnessing,
            witnesses,
            tracing=tracing,
            http_timeout=settings.audit_witness_timeout,
            interval=settings.audit_tree_head_interval,
        )
    ]


async def cosign_periodically(
    witnessing: Callable[..., Witnessing],
    witnesses: list[WitnessEndpoint],
    *,
    tracing: Tracing,
    http_timeout: float,
    interval: float,
) -> None:
    """Every ``interval`` seconds, the latest checkpoint to the witnesses that lack it."""
    async with tracing.client(timeout=http_timeout) as http:
        submitter = witnessing(witnesses=witnesses, http=http)
        while True:
            try:
                await submitter.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("asking the witnesses to cosign failed: %r", exc)
            await asyncio.sleep(interval)

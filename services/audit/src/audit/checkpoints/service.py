"""The latest tree head as a C2SP checkpoint: signed by the log's key (the tree-head signer),
cosigned by the witnesses that have checked it."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from audit.checkpoints.models import CheckpointSignature, Cosignature
from audit.checkpoints.repository import CheckpointRepository
from audit.treeheads import service as treeheads
from audit.treeheads.models import SigningKey, TreeHead
from audit.treeheads.repository import TreeHeadRepository
from audit.treeheads.signing import Signer
from hdh_tlog.checkpoint import Checkpoint
from hdh_tlog.note import ED25519, Signature, VerifierKey, format_note
from hdh_tlog.signatures import sign_note


@dataclass(frozen=True)
class SignedCheckpoint:
    checkpoint: Checkpoint
    signature: Signature
    """The log's."""

    @property
    def note(self) -> str:
        return format_note(self.checkpoint.text(), [self.signature])


def checkpoint_of(head: TreeHead, origin: str) -> Checkpoint:
    return Checkpoint(origin, head.tree_size, head.root_hash)


async def latest(session: AsyncSession, signer: Signer, *, origin: str) -> SignedCheckpoint:
    """The latest head as a checkpoint, its note signature made on first use."""
    head = await treeheads.latest_head(session, signer)
    repository = CheckpointRepository(session)
    row = await repository.signature_of(tree_head_id=head.id, origin=origin)
    if row is None:
        await treeheads.lock_signing(session)
        row = await repository.signature_of(tree_head_id=head.id, origin=origin)
        row = row or await repository.add_signature(_sign(head, signer, origin=origin))
    checkpoint = checkpoint_of(head, origin)
    return SignedCheckpoint(checkpoint, Signature(origin, row.key_id, row.signature))


def _sign(head: TreeHead, signer: Signer, *, origin: str) -> CheckpointSignature:
    text = checkpoint_of(head, origin).text()
    signature = sign_note(signer.sign, name=origin, public_key=signer.public_key, text=text)
    return CheckpointSignature(
        tree_head_id=head.id, origin=origin, key_id=signature.key_id, signature=signature.data
    )


async def published(session: AsyncSession, signer: Signer, *, origin: str) -> str:
    """The signed note served at ``/audit/checkpoint``: the log's signature, then the
    cosignatures gathered so far for this tree size and root."""
    signed = await latest(session, signer, origin=origin)
    checkpoint = signed.checkpoint
    rows = await CheckpointRepository(session).cosignatures(
        origin=origin, size=checkpoint.size, root=checkpoint.root
    )
    return format_note(checkpoint.text(), [signed.signature, *map(cosignature_of, rows)])


def cosignature_of(row: Cosignature) -> Signature:
    return Signature(row.witness, row.key_id, row.signature)


async def verifier_keys(session: AsyncSession, *, origin: str) -> list[str]:
    """The note verifier key (for ``origin``) of every key that ever signed tree heads."""
    keys: list[SigningKey] = await TreeHeadRepository(session).keys()
    return [str(VerifierKey(origin, ED25519, key.public_key)) for key in keys]

"""What a witness decides about a submitted checkpoint, status codes as c2sp.org/tlog-witness
names them."""

import base64
import binascii
import hashlib
import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hdh_tlog.checkpoint import Checkpoint
from hdh_tlog.merkle import EMPTY_ROOT, ProofError, verify_consistency
from hdh_tlog.note import COSIGNATURE_V1, Note, NoteError, VerifierKey, format_note, parse_note
from hdh_tlog.signatures import SignatureError, cosign, verify_note
from hdh_tlog.witness.store import Store, Stored

logger = logging.getLogger("hdh_tlog.witness")
MAX_PROOF_LINES = 63
OLD_LINE = re.compile(r"old (0|[1-9][0-9]{0,18})")


class Refused(Exception):
    def __init__(self, status: int, reason: str, *, size: int | None = None) -> None:
        super().__init__(reason)
        self.status, self.reason, self.size = status, reason, size


@dataclass(frozen=True)
class Submission:
    old_size: int
    proof: list[bytes]
    note: Note


def parse_submission(body: bytes) -> Submission:
    """``old N``, consistency proof lines, an empty line, a checkpoint (400 if malformed)."""
    try:
        text = body.decode()
        head, separator, note = text.partition("\n\n")
        lines = head.split("\n")
        match = OLD_LINE.fullmatch(lines[0])
        if not separator or match is None:
            raise NoteError("the body starts with 'old <size>', proof lines and an empty line")
        if len(lines) - 1 > MAX_PROOF_LINES:
            raise NoteError(f"more than {MAX_PROOF_LINES} proof lines")
        proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
        return Submission(int(match[1]), proof, parse_note(note))
    except (UnicodeDecodeError, binascii.Error, NoteError) as exc:
        raise Refused(400, f"malformed request: {exc}") from exc


def origin_hash(origin: str) -> str:
    return hashlib.sha256(origin.encode()).hexdigest()


class Witness:
    def __init__(
        self,
        *,
        name: str,
        private_key: Ed25519PrivateKey,
        logs: Iterable[VerifierKey],
        store: Store,
    ) -> None:
        self.name, self.private_key, self.store = name, private_key, store
        self.public_key = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.logs: dict[str, list[VerifierKey]] = {}
        for key in logs:
            self.logs.setdefault(key.name, []).append(key)
        self.origins = {origin_hash(origin): origin for origin in self.logs}

    @property
    def verifier_key(self) -> VerifierKey:
        return VerifierKey(self.name, COSIGNATURE_V1, self.public_key)

    def add_checkpoint(self, body: bytes) -> str:
        """The cosignature line, or :class:`Refused`."""
        submission = parse_submission(body)
        try:
            checkpoint = Checkpoint.parse(submission.note.text)
        except NoteError as exc:
            raise Refused(400, f"malformed checkpoint: {exc}") from exc
        keys = self.logs.get(checkpoint.origin)
        if keys is None:
            raise Refused(404, f"unknown log {checkpoint.origin!r}")
        try:
            verify_note(submission.note, keys)
        except SignatureError as exc:
            raise Refused(403, str(exc)) from exc
        if submission.old_size > checkpoint.size:
            raise Refused(400, "the old size is larger than the checkpoint's")
        signed = [s for s in submission.note.signatures if any(k.matches(s) for k in keys)]
        try:
            return self._advance(checkpoint, submission, format_note(submission.note.text, signed))
        except Refused as refusal:
            logger.warning(
                "refused a checkpoint of %s (%d): %s\n%s",
                checkpoint.origin,
                refusal.status,
                refusal.reason,
                submission.note.render(),
            )
            raise

    def _advance(self, checkpoint: Checkpoint, submission: Submission, signed: str) -> str:
        with self.store.transaction() as transaction:
            stored = transaction.latest(checkpoint.origin)
            current = stored.size if stored else 0
            if submission.old_size != current:
                raise Refused(409, f"the latest cosigned size is {current}", size=current)
            _check_consistency(checkpoint, submission, stored)
            cosignature = cosign(
                self.private_key.sign,
                name=self.name,
                public_key=self.public_key,
                text=submission.note.text,
                timestamp=int(time.time()),
            )
            note = signed + cosignature.line()
            transaction.save(checkpoint.origin, Stored(checkpoint.size, checkpoint.root, note))
        return cosignature.line()

    def latest(self, hashed_origin: str) -> str | None:
        origin = self.origins.get(hashed_origin)
        stored = self.store.latest(origin) if origin else None
        return stored.note if stored else None


def _check_consistency(
    checkpoint: Checkpoint, submission: Submission, stored: Stored | None
) -> None:
    if checkpoint.size == 0 and checkpoint.root != EMPTY_ROOT:
        raise Refused(422, "a tree of size zero has the empty root")
    if submission.old_size == 0:  # any tree extends the empty one
        if submission.proof:
            raise Refused(422, "a proof from size zero must be empty")
        return
    try:
        verify_consistency(
            old_size=submission.old_size,
            new_size=checkpoint.size,
            old_root=stored.root if stored else EMPTY_ROOT,
            new_root=checkpoint.root,
            proof=submission.proof,
        )
    except ProofError as exc:
        raise Refused(422, f"not consistent with the latest cosigned checkpoint: {exc}") from exc

"""Offline checks an auditor runs on saved material: signed heads, exports, consistency proofs."""

import base64
import binascii
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.canonical import canonical_json
from audit.merkle import EMPTY_ROOT, CompactRange, ProofError, leaf_hash, verify_consistency
from audit.treeheads.contract import signed_message
from audit.treeheads.signing import key_id_of
from hdh_tlog.checkpoint import Checkpoint
from hdh_tlog.note import NoteError, VerifierKey, parse_note
from hdh_tlog.signatures import SignatureError, verify, verify_note

ExportedRow = tuple[int, str, str]
"""``(leaf_index, leaf_hash hex, entry_json)`` as :func:`audit.export.formats.read_rows` reads."""


@dataclass(frozen=True)
class Verdict:
    ok: bool
    message: str
    first_bad_index: int | None = None


def _fail(message: str, index: int | None = None) -> Verdict:
    return Verdict(ok=False, message=message, first_bad_index=index)


def public_keys(document: Mapping[str, Any]) -> dict[str, bytes]:
    """``key_id → raw key`` from a saved ``GET /audit/keys`` answer."""
    keys = {}
    for key in document["keys"]:
        raw = base64.b64decode(key["public_key"])
        if key_id_of(raw) != key["key_id"]:
            raise ValueError(f"key {key['key_id']} does not match its public key")
        keys[key["key_id"]] = raw
    return keys


def check_head(head: Mapping[str, Any], keys: Mapping[str, bytes]) -> Verdict:
    raw = keys.get(head["key_id"])
    if raw is None:
        return _fail(f"the tree head was signed by unknown key {head['key_id']}")
    message = signed_message(
        tree_size=head["tree_size"], root_hash=head["root_hash"], timestamp=head["timestamp"]
    )
    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(base64.b64decode(head["signature"]), message)
    except (InvalidSignature, binascii.Error, ValueError):
        return _fail("the tree head's signature is not valid")
    return Verdict(ok=True, message=f"tree head of size {head['tree_size']} is validly signed")


def check_export(
    rows: Iterable[ExportedRow], head: Mapping[str, Any], keys: Mapping[str, bytes]
) -> Verdict:
    """Every entry in order, each matching its leaf, the leaves making the signed root."""
    signed = check_head(head, keys)
    if not signed.ok:
        return signed
    size, edge = int(head["tree_size"]), CompactRange()
    for index, leaf_hex, entry_json in rows:
        problem = _check_row(edge.size, index=index, leaf_hex=leaf_hex, entry_json=entry_json)
        if problem is not None:
            return _fail(problem, edge.size)
        if edge.size >= size:
            return _fail(f"entry {edge.size} is beyond the signed tree size {size}", edge.size)
        edge.append(bytes.fromhex(leaf_hex))
    if edge.size < size:
        return _fail(f"entries from {edge.size} on are missing (signed size {size})", edge.size)
    if not hmac.compare_digest(edge.root().hex(), head["root_hash"]):
        return _fail("the exported leaves do not make the signed root")
    return Verdict(ok=True, message=f"all {size} entries match the signed tree head")


def _check_row(expected: int, *, index: int, leaf_hex: str, entry_json: str) -> str | None:
    if index != expected:
        return f"entry {expected} is missing (the next one exported is {index})"
    entry = json.loads(entry_json)
    if canonical_json(entry).decode() != entry_json:
        return f"entry {expected} is not in RFC 8785 form"
    if leaf_hash(entry_json.encode()).hex() != leaf_hex:
        return f"entry {expected} does not match its leaf hash in the tree"
    return None


def check_consistency(
    first: Mapping[str, Any],
    second: Mapping[str, Any],
    proof: Mapping[str, Any],
    keys: Mapping[str, bytes],
) -> Verdict:
    """The second signed head extends the first: the log was only appended to in between."""
    for head in (first, second):
        signed = check_head(head, keys)
        if not signed.ok:
            return signed
    m, n = int(first["tree_size"]), int(second["tree_size"])
    if m == 0:
        ok = first["root_hash"] == EMPTY_ROOT.hex()
        return Verdict(ok=ok, message="an empty log" if ok else "bad empty root")
    if (proof["first"], proof["second"]) != (m, n):
        return _fail(f"the proof is for sizes {proof['first']}→{proof['second']}, not {m}→{n}")
    try:
        verify_consistency(
            old_size=m,
            new_size=n,
            old_root=bytes.fromhex(first["root_hash"]),
            new_root=bytes.fromhex(second["root_hash"]),
            proof=[bytes.fromhex(h) for h in proof["hashes"]],
        )
    except (ProofError, ValueError) as exc:
        return _fail(f"the heads are not consistent: {exc}")
    return Verdict(ok=True, message=f"the tree of size {n} extends the tree of size {m}")


def check_checkpoint(
    note_text: str,
    *,
    log_keys: Sequence[VerifierKey],
    witnesses: Sequence[VerifierKey] = (),
    quorum: int = 0,
) -> Verdict:
    """A C2SP checkpoint signed by the log and cosigned by at least ``quorum`` of the known
    ``witnesses``; a cosignature by a known witness that does not verify fails it."""
    try:
        note = parse_note(note_text)
        checkpoint = Checkpoint.parse(note.text)
        signers = verify_note(note, log_keys)
    except NoteError as exc:
        return _fail(f"the checkpoint is not signed by the log: {exc}")
    if all(verified.key.name != checkpoint.origin for verified in signers):
        return _fail(f"the checkpoint names another log ({checkpoint.origin}) than its signer")
    cosigners = set()
    for signature in note.signatures:
        for key in witnesses:
            if key.matches(signature):
                try:
                    verify(key, note.text, signature)
                except SignatureError:
                    return _fail(f"the cosignature of witness {key.name} does not verify")
                cosigners.add(key)
    if len(cosigners) < quorum:
        return _fail(
            f"the checkpoint of size {checkpoint.size} is cosigned by {len(cosigners)} of the "
            f"{len(witnesses)} known witnesses; {quorum} required"
        )
    return Verdict(
        ok=True,
        message=f"checkpoint of {checkpoint.origin} at size {checkpoint.size} is signed by the "
        f"log and cosigned by {len(cosigners)} known witnesses",
    )


def check_checkpoint_consistency(
    previous_text: str,
    current_text: str,
    proof: Mapping[str, Any],
    *,
    log_keys: Sequence[VerifierKey],
) -> Verdict:
    """The current checkpoint extends the previous one (e.g. the last one witnesses cosigned)."""
    checkpoints = []
    for text in (previous_text, current_text):
        try:
            note = parse_note(text)
            verify_note(note, log_keys)
            checkpoints.append(Checkpoint.parse(note.text))
        except NoteError as exc:
            return _fail(f"a checkpoint is not signed by the log: {exc}")
    old, new = checkpoints
    if old.origin != new.origin:
        return _fail(f"the checkpoints are of two logs: {old.origin} and {new.origin}")
    if old.size and (proof.get("first"), proof.get("second")) != (old.size, new.size):
        return _fail(f"the proof is not for sizes {old.size}→{new.size}")
    try:
        verify_consistency(
            old_size=old.size,
            new_size=new.size,
            old_root=old.root,
            new_root=new.root,
            proof=[bytes.fromhex(h) for h in proof.get("hashes", [])] if old.size else [],
        )
    except (ProofError, ValueError) as exc:
        return _fail(
            f"the log forked: the checkpoint of size {new.size} does not extend "
            f"the one of size {old.size} ({exc})"
        )
    return Verdict(ok=True, message=f"the checkpoint of size {new.size} extends size {old.size}")

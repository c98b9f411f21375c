"""The RFC 9162 (RFC 6962) Merkle tree hashes and the verification of its proofs, as RFC 9162
sections 2.1.3.2 (inclusion) and 2.1.4.2 (consistency) write it. The one implementation: the
audit service builds its tree with these hashes, and its verifier and the witness check
proofs with these functions."""

import hashlib
import hmac

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """The proof does not prove what it claims."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _check_hashes(*hashes: bytes) -> None:
    if any(len(h) != HASH_SIZE for h in hashes):
        raise ProofError(f"every hash must be {HASH_SIZE} bytes")


def root_from_inclusion(*, index: int, size: int, leaf: bytes, proof: list[bytes]) -> bytes:
    """The root that ``proof`` leads to from the leaf hash ``leaf`` at ``index``."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    _check_hashes(leaf, *proof)
    fn, sn, result = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            raise ProofError("the proof is too long")
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the proof is too short")
    return result


def verify_inclusion(
    *, index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes
) -> None:
    computed = root_from_inclusion(index=index, size=size, leaf=leaf, proof=proof)
    if not hmac.compare_digest(computed, root):
        raise ProofError("the proof leads to another root")


def verify_consistency(
    *, old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> None:
    """That the tree of ``new_size`` leaves extends the one of ``old_size`` leaves. RFC 9162
    defines no proof from an empty tree: a caller for which any tree extends the empty one
    (a witness) says so itself."""
    if not 0 < old_size <= new_size:
        raise ProofError(f"no consistency proof from size {old_size} to size {new_size}")
    _check_hashes(*proof)
    if old_size == new_size:
        if proof or not hmac.compare_digest(old_root, new_root):
            raise ProofError("equal sizes need an empty proof and equal roots")
        return
    old, new = _consistency_roots(old_size, new_size, old_root, proof)
    if not hmac.compare_digest(old, old_root):
        raise ProofError("the proof does not lead to the old root")
    if not hmac.compare_digest(new, new_root):
        raise ProofError("the proof does not lead to the new root")


def _consistency_roots(
    old_size: int, new_size: int, old_root: bytes, proof: list[bytes]
) -> tuple[bytes, bytes]:
    path = [old_root, *proof] if old_size & (old_size - 1) == 0 else list(proof)
    if not path:
        raise ProofError("the proof is empty")
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the proof is too long")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the proof is too short")
    return fr, sr

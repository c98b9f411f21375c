"""RFC 6962 consistency proofs, verified as RFC 9162 section 2.1.4.2 writes it."""

import hashlib
import hmac

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """The proof does not prove what it claims."""


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_consistency(
    *, old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> None:
    if not 0 <= old_size <= new_size:
        raise ProofError(f"no consistency from size {old_size} to size {new_size}")
    if any(len(h) != HASH_SIZE for h in proof):
        raise ProofError(f"every hash must be {HASH_SIZE} bytes")
    if old_size == 0 or old_size == new_size:
        if proof:
            raise ProofError("the proof must be empty")
        if old_size == new_size and not hmac.compare_digest(old_root, new_root):
            raise ProofError("equal sizes, different roots")
        return
    old, new = _roots(old_size, new_size, old_root, proof)
    if not (hmac.compare_digest(old, old_root) and hmac.compare_digest(new, new_root)):
        raise ProofError("the proof does not lead to both roots")


def _roots(
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

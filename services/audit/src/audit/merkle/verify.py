"""Proof verification, as RFC 9162 sections 2.1.3.2 and 2.1.4.2 write it."""

import hmac

from audit.merkle.hashing import HASH_SIZE, node_hash
from audit.merkle.proofs import consistency_ranges, inclusion_ranges


class ProofError(ValueError):
    """The proof does not prove what it claims."""


def _check_hashes(*hashes: bytes) -> None:
    if any(len(h) != HASH_SIZE for h in hashes):
        raise ProofError(f"every hash must be {HASH_SIZE} bytes")


def root_from_inclusion(*, index: int, size: int, leaf: bytes, proof: list[bytes]) -> bytes:
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    _check_hashes(leaf, *proof)
    if len(proof) != len(inclusion_ranges(index, size)):
        raise ProofError("the proof does not have the expected length")
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
    *, first: int, second: int, first_root: bytes, second_root: bytes, proof: list[bytes]
) -> None:
    if not 0 < first <= second:
        raise ProofError(f"no consistency proof from size {first} to size {second}")
    _check_hashes(*proof)
    if first == second:
        if proof or not hmac.compare_digest(first_root, second_root):
            raise ProofError("equal sizes need an empty proof and equal roots")
        return
    if len(proof) != len(consistency_ranges(first, second)):
        raise ProofError("the proof does not have the expected length")
    first_computed, second_computed = _consistency_roots(first, second, first_root, proof)
    if not hmac.compare_digest(first_computed, first_root):
        raise ProofError("the proof does not lead to the first root")
    if not hmac.compare_digest(second_computed, second_root):
        raise ProofError("the proof does not lead to the second root")


def _consistency_roots(
    first: int, second: int, first_root: bytes, proof: list[bytes]
) -> tuple[bytes, bytes]:
    path = [first_root, *proof] if first & (first - 1) == 0 else list(proof)
    fn, sn = first - 1, second - 1
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

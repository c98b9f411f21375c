"""Acceptance 1: an independent verifier, written here from RFC 6962 section 2.1, accepts
every inclusion proof of trees of sizes 1..70 and every consistency proof between them."""

import hashlib

import pytest

from audit.merkle import (
    CompactRange,
    MemoryTree,
    Node,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)

SIZES = range(1, 71)


def h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return h(b"")
    if len(leaves) == 1:
        return h(b"\x00" + leaves[0])
    k = split(len(leaves))
    return h(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def inclusion_root(index: int, size: int, leaf: bytes, proof: list[bytes]) -> bytes:
    if size == 1:
        assert proof == []
        return leaf
    assert proof
    k, sibling, rest = split(size), proof[-1], proof[:-1]
    if index < k:
        return h(b"\x01" + inclusion_root(index, k, leaf, rest) + sibling)
    return h(b"\x01" + sibling + inclusion_root(index - k, size - k, leaf, rest))


def consistency_roots(
    m: int, n: int, proof: list[bytes], first_root: bytes, *, whole: bool = True
) -> tuple[bytes, bytes]:
    if m == n:
        if whole:
            assert proof == []
            return first_root, first_root
        assert len(proof) == 1
        return proof[0], proof[0]
    assert proof
    k, sibling, rest = split(n), proof[-1], proof[:-1]
    if m <= k:
        old, new = consistency_roots(m, k, rest, first_root, whole=whole)
        return old, h(b"\x01" + new + sibling)
    old, new = consistency_roots(m - k, n - k, rest, first_root, whole=False)
    return h(b"\x01" + sibling + old), h(b"\x01" + sibling + new)


@pytest.fixture(scope="module")
def leaves() -> list[bytes]:
    return [f"entry {i}".encode() for i in range(max(SIZES))]


@pytest.fixture(scope="module")
def tree(leaves: list[bytes]) -> MemoryTree:
    tree = MemoryTree()
    for leaf in leaves:
        tree.append(leaf_hash(leaf))
    return tree


def test_roots_match_the_definition(tree: MemoryTree, leaves: list[bytes]) -> None:
    for size in range(0, max(SIZES) + 1):
        assert tree.root(size) == mth(leaves[:size])


def test_every_inclusion_proof_is_accepted(tree: MemoryTree, leaves: list[bytes]) -> None:
    for size in SIZES:
        root = mth(leaves[:size])
        for index in range(size):
            proof = tree.inclusion_proof(index, size)
            leaf = leaf_hash(leaves[index])
            assert inclusion_root(index, size, leaf, proof) == root
            verify_inclusion(index=index, size=size, leaf=leaf, proof=proof, root=root)


def test_every_consistency_proof_is_accepted(tree: MemoryTree, leaves: list[bytes]) -> None:
    roots = {size: mth(leaves[:size]) for size in SIZES}
    for second in SIZES:
        for first in range(1, second + 1):
            proof = tree.consistency_proof(first, second)
            old, new = consistency_roots(first, second, proof, roots[first])
            assert (old, new) == (roots[first], roots[second])
            verify_consistency(
                old_size=first,
                new_size=second,
                old_root=roots[first],
                new_root=roots[second],
                proof=proof,
            )


@pytest.mark.parametrize("cut", [0, 1, 5, 32, 33, 47])
def test_extending_in_batches_writes_the_nodes_of_the_tree(
    tree: MemoryTree, leaves: list[bytes], cut: int
) -> None:
    """From the right edge of any size, one batch completes the nodes the tree holds."""
    hashes = [leaf_hash(leaf) for leaf in leaves]
    edge = CompactRange.from_nodes(size=cut, nodes=tree.nodes)
    rows = edge.extend(hashes[cut:])
    assert {Node(level, index): digest for level, index, digest in rows} == {
        node: digest for node, digest in tree.nodes.items() if (node.index + 1) << node.level > cut
    }
    assert edge.root() == mth(leaves)

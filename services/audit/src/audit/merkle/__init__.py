"""The RFC 9162 (Certificate Transparency v2) Merkle tree, pure and storage-agnostic."""

from audit.merkle.hashing import EMPTY_ROOT, HASH_SIZE, leaf_hash, node_hash
from audit.merkle.proofs import (
    Node,
    consistency_ranges,
    inclusion_ranges,
    nodes_for_ranges,
    range_hash,
    range_nodes,
)
from audit.merkle.tree import CompactRange, MemoryTree, NodeRow
from audit.merkle.verify import (
    ProofError,
    root_from_inclusion,
    verify_consistency,
    verify_inclusion,
)

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "MemoryTree",
    "Node",
    "NodeRow",
    "ProofError",
    "consistency_ranges",
    "inclusion_ranges",
    "leaf_hash",
    "node_hash",
    "nodes_for_ranges",
    "range_hash",
    "range_nodes",
    "root_from_inclusion",
    "verify_consistency",
    "verify_inclusion",
]

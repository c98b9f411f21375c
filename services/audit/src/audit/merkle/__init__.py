"""The RFC 9162 (Certificate Transparency v2) Merkle tree, pure and storage-agnostic: its
hashes and proof verification are :mod:`hdh_tlog.merkle`'s, which the witness shares."""

from audit.merkle.proofs import (
    Node,
    consistency_ranges,
    inclusion_ranges,
    nodes_for_ranges,
    range_hash,
    range_nodes,
)
from audit.merkle.tree import CompactRange, MemoryTree, NodeRow
from hdh_tlog.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    ProofError,
    leaf_hash,
    node_hash,
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

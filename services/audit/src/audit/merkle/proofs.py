"""Proofs as lists of leaf ranges, and ranges as complete subtrees.

Every hash in an RFC 9162 proof is the hash of a leaf range ``[start, end)``. Such a range
splits into at most log2(n) *complete* subtrees (aligned, power-of-two sized), each a
:class:`Node` that storage keeps once written; so a proof for any tree size needs only
O(log n) stored nodes, fetched at once.
"""

from collections.abc import Mapping
from typing import NamedTuple

from hdh_tlog.merkle import node_hash

Range = tuple[int, int]


def largest_power_of_two_below(n: int) -> int:
    """The ``k`` of RFC 9162 section 2.1.1: the largest power of two smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


class Node(NamedTuple):
    """The complete subtree of ``2**level`` leaves starting at leaf ``index * 2**level``."""

    level: int
    index: int  # type: ignore[assignment]


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges whose hashes form PATH(index, D[0:size]), leaf side first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    return _path(index, 0, size)


def _path(index: int, start: int, size: int) -> list[Range]:
    if size == 1:
        return []
    k = largest_power_of_two_below(size)
    if index < k:
        return [*_path(index, start, k), (start + k, start + size)]
    return [*_path(index - k, start + k, size - k), (start, start + k)]


def consistency_ranges(first: int, second: int) -> list[Range]:
    """The ranges whose hashes form PROOF(first, D[0:second]) (empty when the sizes are equal)."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    if first == second:
        return []
    return _subproof(first, 0, second, complete=True)


def _subproof(m: int, start: int, n: int, *, complete: bool) -> list[Range]:
    if m == n:
        return [] if complete else [(start, start + m)]
    k = largest_power_of_two_below(n)
    if m <= k:
        return [*_subproof(m, start, k, complete=complete), (start + k, start + n)]
    return [*_subproof(m - k, start + k, n - k, complete=False), (start, start + k)]


def range_nodes(start: int, end: int) -> list[Node]:
    """The complete subtrees making up ``[start, end)``, left to right (largest first)."""
    nodes: list[Node] = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start:
            level = min(level, (start & -start).bit_length() - 1)
        nodes.append(Node(level, start >> level))
        start += 1 << level
    return nodes


def nodes_for_ranges(ranges: list[Range]) -> set[Node]:
    return {node for start, end in ranges for node in range_nodes(start, end)}


def range_hash(start: int, end: int, nodes: Mapping[Node, bytes]) -> bytes:
    """MTH of ``[start, end)`` for a range of the RFC tree's shape, from its complete subtrees."""
    parts = [nodes[node] for node in range_nodes(start, end)]
    result = parts[-1]
    for part in reversed(parts[:-1]):
        result = node_hash(part, result)
    return result

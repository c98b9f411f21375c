"""Appending leaves: the right edge of the tree and the complete subtrees each leaf closes."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeAlias

from audit.merkle.proofs import Node, consistency_ranges, inclusion_ranges, range_hash
from hdh_tlog.merkle import EMPTY_ROOT, node_hash

NodeRow: TypeAlias = tuple[int, int, bytes]


@dataclass
class CompactRange:
    """The complete subtrees covering ``[0, size)``: all that is needed to append and to root."""

    size: int = 0
    peaks: list[bytes] = field(default_factory=list)

    @classmethod
    def from_nodes(cls, *, size: int, nodes: dict[Node, bytes]) -> "CompactRange":
        return cls(size=size, peaks=[nodes[node] for node in frontier(size)])

    def append(self, leaf: bytes) -> list[tuple[Node, bytes]]:
        """Add one leaf hash; return every node it completes, the leaf itself included."""
        return [(Node(level, index), digest) for level, index, digest in self.extend([leaf])]

    def extend(self, leaves: Iterable[bytes]) -> list[NodeRow]:
        """Add leaf hashes in one pass; return every node they complete, leaves included, as
        ``(level, index, hash)`` rows."""
        created: list[NodeRow] = []
        peaks, size = self.peaks, self.size
        for leaf in leaves:
            created.append((0, size, leaf))
            current, level, index = leaf, 0, size
            while index & 1:
                current = node_hash(peaks.pop(), current)
                level, index = level + 1, index >> 1
                created.append((level, index, current))
            peaks.append(current)
            size += 1
        self.size = size
        return created

    def root(self) -> bytes:
        if not self.peaks:
            return EMPTY_ROOT
        result = self.peaks[-1]
        for peak in reversed(self.peaks[:-1]):
            result = node_hash(peak, result)
        return result


def frontier(size: int) -> list[Node]:
    """The complete subtrees of ``[0, size)``, left to right."""
    nodes, start = [], 0
    for level in reversed(range(size.bit_length())):
        if size >> level & 1:
            nodes.append(Node(level, start >> level))
            start += 1 << level
    return nodes


class MemoryTree:
    """A tree held in memory: every complete subtree, as storage keeps them."""

    def __init__(self) -> None:
        self.nodes: dict[Node, bytes] = {}
        self._edge = CompactRange()

    @property
    def size(self) -> int:
        return self._edge.size

    def append(self, leaf: bytes) -> None:
        self.nodes.update(self._edge.append(leaf))

    def root(self, size: int | None = None) -> bytes:
        size = self.size if size is None else size
        return range_hash(0, size, self.nodes) if size else EMPTY_ROOT

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        return [range_hash(s, e, self.nodes) for s, e in inclusion_ranges(index, size)]

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        return [range_hash(s, e, self.nodes) for s, e in consistency_ranges(first, second)]

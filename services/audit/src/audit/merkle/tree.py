"""Appending leaves: the right edge of the tree and the complete subtrees each leaf closes."""

from dataclasses import dataclass, field

from audit.merkle.hashing import EMPTY_ROOT, node_hash
from audit.merkle.proofs import Node, consistency_ranges, inclusion_ranges, range_hash


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
        index = self.size
        created = [(Node(0, index), leaf)]
        current, level = leaf, 0
        while (index >> level) & 1:
            current = node_hash(self.peaks.pop(), current)
            level += 1
            created.append((Node(level, index >> level), current))
        self.peaks.append(current)
        self.size += 1
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

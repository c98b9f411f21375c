"""A bounded, append-only on-disk queue of JSON lines, read and acknowledged in order.

Segments ``<number>.jsonl`` hold the entries; ``cursor`` names the first entry not yet
acknowledged (segment and byte offset). Acknowledged segments are deleted.
"""

import fcntl
import os
from dataclasses import dataclass
from pathlib import Path

SEGMENT_BYTES = 4 * 1024 * 1024
CURSOR = "cursor"


@dataclass(frozen=True, order=True)
class Position:
    segment: int
    offset: int


@dataclass(frozen=True)
class SpooledEntry:
    data: bytes
    end: Position


class Spool:
    def __init__(
        self, directory: Path, *, max_bytes: int, segment_bytes: int = SEGMENT_BYTES
    ) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._lock = _lock(directory)
        self._dir = directory
        self._max_bytes = max_bytes
        self._segment_bytes = segment_bytes
        segments = self._segments()
        self._cursor = self._load_cursor(segments)
        self._write_segment = segments[-1] if segments else self._cursor.segment
        self._write_size = self._size(self._write_segment)
        self._total = sum(self._size(s) for s in segments)
        self._fd = self._open(self._write_segment)
        self._write_failed = False

    @property
    def size(self) -> int:
        return self._total

    def has_room(self, need: int = 4096) -> bool:
        """Whether an entry of ``need`` bytes fits: below the bound, and the last write worked
        (a full disk makes writes fail before the bound is reached)."""
        return not self._write_failed and self._total + need <= self._max_bytes

    def append(self, data: bytes) -> bool:
        """Write one entry (no newline inside); ``False`` when the spool cannot take it."""
        line = data + b"\n"
        if self._total + len(line) > self._max_bytes:
            return False
        if self._write_size and self._write_size + len(line) > self._segment_bytes:
            self._rotate()
        try:
            written = os.write(self._fd, line)
        except OSError:
            self._write_failed = True
            return False
        if written != len(line):
            os.ftruncate(self._fd, self._write_size)
            self._write_failed = True
            return False
        self._write_failed = False
        self._write_size += len(line)
        self._total += len(line)
        return True

    def read(self, limit: int) -> list[SpooledEntry]:
        """Up to ``limit`` entries from the cursor on, in order, without consuming them."""
        entries: list[SpooledEntry] = []
        position = self._cursor
        while len(entries) < limit:
            entries += self._read_segment(position, limit - len(entries))
            if position.segment >= self._write_segment:
                break
            position = Position(position.segment + 1, 0)
        return entries

    def acknowledge(self, position: Position) -> None:
        """Everything before ``position`` is delivered: move the cursor, delete old segments."""
        for segment in range(self._cursor.segment, position.segment):
            self._total -= self._size(segment)
            (self._dir / self._name(segment)).unlink(missing_ok=True)
        self._cursor = position
        tmp = self._dir / f"{CURSOR}.tmp"
        tmp.write_text(f"{position.segment} {position.offset}")
        tmp.replace(self._dir / CURSOR)

    def close(self) -> None:
        os.close(self._fd)
        os.close(self._lock)

    def _read_segment(self, position: Position, limit: int) -> list[SpooledEntry]:
        path = self._dir / self._name(position.segment)
        if not path.exists():
            return []
        with path.open("rb") as file:
            file.seek(position.offset)
            offset = position.offset
            entries: list[SpooledEntry] = []
            for line in file:
                if not line.endswith(b"\n") or len(entries) >= limit:
                    break
                offset += len(line)
                entries.append(SpooledEntry(line[:-1], Position(position.segment, offset)))
        return entries

    def _rotate(self) -> None:
        os.close(self._fd)
        self._write_segment += 1
        self._write_size = 0
        self._fd = self._open(self._write_segment)

    def _open(self, segment: int) -> int:
        return os.open(
            self._dir / self._name(segment), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600
        )

    def _segments(self) -> list[int]:
        return sorted(int(p.stem) for p in self._dir.glob("*.jsonl") if p.stem.isdigit())

    def _load_cursor(self, segments: list[int]) -> Position:
        try:
            segment, offset = (int(v) for v in (self._dir / CURSOR).read_text().split())
        except (OSError, ValueError):
            return Position(segments[0] if segments else 0, 0)
        return Position(segment, offset)

    def _size(self, segment: int) -> int:
        try:
            return (self._dir / self._name(segment)).stat().st_size
        except OSError:
            return 0

    @staticmethod
    def _name(segment: int) -> str:
        return f"{segment:012d}.jsonl"


class SpoolInUse(Exception):
    """Another process holds this spool: each gateway instance needs its own folder."""


def _lock(directory: Path) -> int:
    descriptor = os.open(directory / "lock", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as error:
        os.close(descriptor)
        raise SpoolInUse(f"{directory} is used by another gateway instance") from error
    return descriptor
